import { execFile } from 'node:child_process';

export interface CliResult {
  stdout: string;
  stderr: string;
  code: number;
}

/**
 * Runs the real `baremetal <args>` (python-ironicclient) against one endpoint and nothing else:
 * the OS_* settings of the machine, its cloud config and proxies are left out; `settings` holds
 * the auth (OS_AUTH_TYPE, ...) and anything else the call needs.
 */
export function runBaremetal(
  endpoint: string,
  args: string[],
  opts: { apiVersion: string; settings: Record<string, string>; timeoutMs?: number },
): Promise<CliResult> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(OS_|https?_proxy$|all_proxy$)/i.test(k)),
  );
  return new Promise<CliResult>((resolve) => {
    execFile(
      'baremetal',
      ['--os-baremetal-api-version', opts.apiVersion, ...args],
      {
        env: {
          ...inherited,
          OS_ENDPOINT: endpoint,
          NO_PROXY: '127.0.0.1,localhost',
          no_proxy: '127.0.0.1,localhost',
          ...opts.settings,
        },
        timeout: opts.timeoutMs ?? 120_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ stdout, stderr, code });
      },
    );
  });
}

/** The command's standard output; its whole output in the error when it did not succeed. */
export function outputOf(args: string[], res: CliResult): string {
  if (res.code !== 0)
    throw new Error(`baremetal ${args.join(' ')} exited ${res.code}\n${res.stderr}${res.stdout}`);
  return res.stdout;
}

/**
 * A runner of `baremetal` commands that must succeed, without auth, against the API whose URL
 * `endpoint` gives when a command runs (a test's installation starts after the runner is made).
 */
export function succeedingBaremetal(
  endpoint: () => string,
  apiVersion: string,
): (...args: string[]) => Promise<string> {
  return async (...args) =>
    outputOf(
      args,
      await runBaremetal(endpoint(), args, { apiVersion, settings: { OS_AUTH_TYPE: 'none' } }),
    );
}
