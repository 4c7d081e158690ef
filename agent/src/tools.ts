// Running the system tools the agent relies on (sfdisk, qemu-img, wipefs, ...), found on a PATH
// that always includes the sbin directories where most of them live.
import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

const EXTRA_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export const TOOL_PATH = [...new Set([...(process.env.PATH ?? '').split(delimiter), ...EXTRA_DIRS])]
  .filter((dir) => dir.length > 0)
  .join(delimiter);

const found = new Map<string, string | undefined>();

/** Absolute path of a tool, or undefined when the machine lacks it. */
export async function findTool(name: string): Promise<string | undefined> {
  if (found.has(name)) return found.get(name);
  let path: string | undefined;
  for (const dir of TOOL_PATH.split(delimiter)) {
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      path = candidate;
      break;
    } catch {
      // not in this directory
    }
  }
  found.set(name, path);
  return path;
}

export class ToolError extends Error {
  constructor(
    readonly tool: string,
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    const why = stderr.trim() || `exit code ${exitCode}`;
    super(`${tool} ${args.join(' ')} failed: ${why}`);
    this.name = 'ToolError';
  }
}

export interface RunOptions {
  input?: string | Buffer;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Runs a tool to completion; rejects with ToolError on a non-zero exit. */
export async function runTool(
  name: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<RunResult> {
  const path = await findTool(name);
  if (!path)
    throw new ToolError(name, args, null, `${name} is not installed (searched ${TOOL_PATH})`);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(path, args, {
      env: { ...process.env, PATH: TOOL_PATH, LC_ALL: 'C' },
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: opts.timeoutMs,
      signal: opts.signal,
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (err) => reject(new ToolError(name, args, null, err.message)));
    child.on('close', (code) => {
      const result = {
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      };
      if (code === 0) resolvePromise(result);
      else reject(new ToolError(name, args, code, result.stderr));
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** Runs a tool, or returns undefined (and lets the caller warn) when it is missing or fails. */
export async function tryTool(name: string, args: readonly string[]): Promise<string | undefined> {
  try {
    return (await runTool(name, args, { timeoutMs: 30_000 })).stdout;
  } catch {
    return undefined;
  }
}
