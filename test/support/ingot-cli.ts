import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// The committed bin shim `npx ingot` runs (cli/bin/ingot.js → cli/dist/main.js).
const INGOT_BIN = fileURLToPath(new URL('../../cli/bin/ingot.js', import.meta.url));

export interface IngotRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A running `ingot` command: its output so far, and its end. */
export interface IngotProcess {
  output(): string;
  done: Promise<IngotRun>;
  /** Ctrl-C, as a user ends `ingot watch`. */
  interrupt(): void;
}

/** Starts `ingot <args>` against an API, as a user's shell would (stdout a pipe, not a terminal). */
export function startIngot(args: string[], env: Record<string, string>): IngotProcess {
  const child = spawn(process.execPath, [INGOT_BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<IngotRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { output: () => stdout, done, interrupt: () => child.kill('SIGINT') };
}

export function runIngot(args: string[], env: Record<string, string>): Promise<IngotRun> {
  return startIngot(args, env).done;
}
