import { execFile, type ExecFileException } from 'node:child_process';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { BmcError, withoutSecret } from '../errors.js';
import type { IpmiConfig } from './driver-config.js';

const tracer = trace.getTracer('ingot-drivers');

/** Retransmissions of one IPMI request; ipmitool's -N (seconds each) is derived from the timeout. */
const RETRIES = 3;

/**
 * Runs one ipmitool command against the node's BMC over IPMI 2.0 (lanplus) and returns its
 * standard output. The password travels in the IPMI_PASSWORD environment variable (-E), never on
 * the command line where any local user could read it.
 */
export async function ipmitool(
  config: IpmiConfig,
  command: string[],
  opts: { expect?: RegExp } = {},
): Promise<string> {
  const perTry = Math.max(1, Math.round(config.timeoutMs / 1000 / RETRIES));
  const args = [
    // Verbose: only then does ipmitool say why a session failed (e.g. "RAKP 2 HMAC is invalid").
    '-v',
    '-I',
    'lanplus',
    '-H',
    config.host,
    '-p',
    String(config.port),
    '-L',
    config.privLevel,
    ...(config.username ? ['-U', config.username] : []),
    '-E',
    ...(config.cipherSuite === undefined ? [] : ['-C', String(config.cipherSuite)]),
    '-N',
    String(perTry),
    '-R',
    String(RETRIES),
    ...command,
  ];
  const bmc = `${config.host}:${config.port}`;
  return tracer.startActiveSpan(
    `ipmitool ${command.join(' ')}`,
    {
      kind: SpanKind.CLIENT,
      attributes: { 'server.address': config.host, 'server.port': config.port },
    },
    async (span) => {
      try {
        const { stdout, stderr } = await run(args, config, bmc, command);
        // Some commands (chassis bootdev) exit 0 when the BMC refused them.
        if (opts.expect && !opts.expect.test(stdout)) {
          throw withoutSecret(
            new BmcError(
              'protocol',
              `BMC at ${bmc} refused '${command.join(' ')}' over IPMI: ${lastLines(stderr) || stdout.trim() || 'no answer'}`,
            ),
            config.password,
          );
        }
        return stdout;
      } catch (error) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

function run(
  args: string[],
  config: IpmiConfig,
  bmc: string,
  command: string[],
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      'ipmitool',
      args,
      {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', IPMI_PASSWORD: config.password ?? '' },
        // ipmitool's own retries span several session phases and can outlast -N × -R: the
        // node's timeout is the whole budget of one command.
        timeout: config.timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (!error) return resolve({ stdout, stderr });
        reject(withoutSecret(describe(error, stderr, config, bmc, command), config.password));
      },
    );
  });
}

function describe(
  error: ExecFileException,
  stderr: string,
  config: IpmiConfig,
  bmc: string,
  command: string[],
): BmcError {
  if (error.code === 'ENOENT') {
    return new BmcError(
      'unsupported',
      'ipmitool is not installed on this power worker: install the ipmitool package',
    );
  }
  if (error.killed) {
    return new BmcError(
      'timeout',
      `BMC at ${bmc} did not answer '${command.join(' ')}' over IPMI within ${config.timeoutMs} ms`,
    );
  }
  const said = lastLines(stderr);
  if (
    /RAKP 2 HMAC is invalid|unauthorized name|invalid user ?name|insufficient privilege/i.test(said)
  ) {
    return new BmcError(
      'auth',
      `BMC at ${bmc} refused the credentials for user ${config.username ?? '(none)'} over IPMI: ${said}`,
    );
  }
  if (/Unable to establish|No response|timeout|Unable to get Channel Cipher Suites/i.test(said)) {
    return new BmcError(
      'unreachable',
      `BMC at ${bmc} did not open an IPMI 2.0 (RMCP+) session on UDP port ${config.port}: ${said} ` +
        '(an unreachable address, a closed port or, on some BMCs, a wrong password)',
    );
  }
  return new BmcError(
    'protocol',
    `BMC at ${bmc} failed '${command.join(' ')}' over IPMI: ${said || `ipmitool exited with ${String(error.code)}`}`,
  );
}

/** The end of ipmitool's verbose stderr, where it says what went wrong. */
function lastLines(stderr: string): string {
  return stderr
    .split('\n')
    .map((line) => line.replace(/^>\s*/, '').trim())
    .filter((line) => line && !/^Loading IANA|^Using best available cipher/i.test(line))
    .slice(-3)
    .join('; ')
    .slice(0, 400);
}
