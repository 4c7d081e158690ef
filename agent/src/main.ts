// Entry point: node agent/dist/main.js [--config <file>] [--cmdline <file>]
import { parseArgs } from 'node:util';
import { startAgent } from './agent.js';
import { ConfigError, loadConfig } from './config.js';
import { AgentFatalError } from './errors.js';
import { EXIT_CODES } from './exit-codes.js';
import { LabProfileError } from './inventory/lab.js';
import { AgentLogger } from './log.js';
import { AgentStopped } from './sleep.js';

const USAGE = 'usage: node agent/dist/main.js [--config <agent.json>] [--cmdline <file>]';

async function main(): Promise<number> {
  let values: { config?: string; cmdline?: string };
  try {
    ({ values } = parseArgs({
      options: { config: { type: 'string' }, cmdline: { type: 'string' } },
      strict: true,
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return EXIT_CODES.badConfig;
  }
  const startupLog = new AgentLogger();
  let config;
  try {
    // Without --config, a network-booted ramdisk: everything comes from the kernel command line.
    const parsed = await loadConfig(values.config, { cmdline: values.cmdline });
    config = parsed.config;
    for (const warning of parsed.warnings) startupLog.warn(warning, { config: values.config });
    if (parsed.cmdline)
      startupLog.info('kernel command line read', {
        path: parsed.cmdline.path,
        ...parsed.cmdline.settings,
      });
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      if (!values.config && !values.cmdline) console.error(USAGE);
      return EXIT_CODES.badConfig;
    }
    throw err;
  }

  const shutdown = new AbortController();
  const onSignal = () => shutdown.abort();
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  // The lab runs the agent as a child with a pipe on stdin: when the lab process dies, the pipe
  // closes and the agent stops instead of heartbeating on as an orphan.
  if (config.platform === 'lab' && process.env.INGOT_STOP_WITH_STDIN === '1') {
    process.stdin.once('end', onSignal);
    process.stdin.once('error', onSignal);
    process.stdin.resume();
  }
  try {
    const agent = await startAgent(config, { signal: shutdown.signal });
    const stopped = new Promise<number>((resolve) => {
      const stopNow = () => void agent.stop().then(() => resolve(EXIT_CODES.stopped));
      // The signal may have come while startAgent was returning.
      if (shutdown.signal.aborted) stopNow();
      else shutdown.signal.addEventListener('abort', stopNow, { once: true });
    });
    return await Promise.race([agent.exited, stopped]);
  } catch (err) {
    if (err instanceof AgentStopped) return EXIT_CODES.stopped;
    if (err instanceof AgentFatalError) return EXIT_CODES.fatal;
    // A profile or disk map that does not fit the machine description is a configuration error.
    if (err instanceof ConfigError || err instanceof LabProfileError) {
      console.error(err.message);
      return EXIT_CODES.badConfig;
    }
    startupLog.fatal('agent crashed', { error: (err as Error).stack ?? String(err) });
    return EXIT_CODES.fatal;
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(EXIT_CODES.fatal);
  },
);
