import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Installation, waitFor } from '@ingot/lab';

const LAB = fileURLToPath(new URL('../lab/dist/index.js', import.meta.url));

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('service processes of a lab installation', () => {
  it('stop by themselves when the process that started them dies without stopping them', async () => {
    // A supervisor that starts an installation, reports it, and is then SIGKILLed.
    const script = `
      import { Installation } from ${JSON.stringify(LAB)};
      const s = await Installation.start({ LOG_LEVEL: 'warn' });
      console.log(JSON.stringify({
        pids: s.services.map((x) => x.child.pid),
        prefix: s.prefix, databaseUrl: s.databaseUrl, workDir: s.workDir,
      }));
      setInterval(() => {}, 1 << 30);
    `;
    const supervisor = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    supervisor.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    const started = await waitFor(
      'the supervisor to report its installation',
      async () => {
        const line = out.split('\n').find((l) => l.startsWith('{'));
        return line
          ? (JSON.parse(line) as {
              pids: number[];
              prefix: string;
              databaseUrl: string;
              workDir: string;
            })
          : undefined;
      },
      60_000,
    );
    expect(started.pids).toHaveLength(5);
    expect(started.pids.every(alive)).toBe(true);

    supervisor.kill('SIGKILL');
    await once(supervisor, 'exit');
    await waitFor('every service to stop', async () => !started.pids.some(alive), 20_000);
    await Installation.cleanUp(started);
  }, 90_000);
});
