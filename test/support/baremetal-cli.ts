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
