import { spawn } from 'node:child_process';

/** A media tool (xorriso, qemu-img) that failed; `stderr` is the tool's own explanation. */
export class MediaToolError extends Error {
  constructor(
    message: string,
    readonly tool: string,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'MediaToolError';
  }
}

export interface ToolResult {
  stdout: string;
  stderr: string;
}

/** Keeps memory bounded when a tool is chatty (xorriso reports progress on stderr). */
const MAX_CAPTURE = 64 * 1024;

const append = (kept: string, chunk: Buffer): string => {
  const next = kept + chunk.toString('utf8');
  return next.length > MAX_CAPTURE ? next.slice(next.length - MAX_CAPTURE) : next;
};

/** The lines that explain a failure; tools print progress and notes around them. */
function explanation(stderr: string): string {
  const lines = stderr.split('\n').map((line) => line.trim());
  const failures = lines.filter((line) => /FAILURE|SORRY|FATAL|error|Could not/i.test(line));
  return (failures.length > 0 ? failures : lines.filter(Boolean).slice(-3)).join('; ');
}

/**
 * Runs a tool without a shell (arguments are never interpreted) and resolves with its output,
 * or rejects with a MediaToolError carrying stderr when it exits non-zero or overruns timeoutMs.
 */
export function runTool(
  tool: string,
  args: string[],
  opts: { timeoutMs?: number } = {},
): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: opts.timeoutMs,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout = append(stdout, chunk)));
    child.stderr.on('data', (chunk: Buffer) => (stderr = append(stderr, chunk)));
    child.once('error', (error: NodeJS.ErrnoException) => {
      const hint = error.code === 'ENOENT' ? ` (is ${tool} installed?)` : '';
      reject(
        new MediaToolError(`${tool} could not start: ${error.message}${hint}`, tool, null, ''),
      );
    });
    child.once('close', (code, signal) => {
      if (code === 0) return resolve({ stdout, stderr });
      const why = signal
        ? `was stopped by ${signal}${opts.timeoutMs ? ` (time limit ${opts.timeoutMs} ms)` : ''}`
        : `exited with ${code}`;
      const detail = explanation(stderr);
      reject(
        new MediaToolError(`${tool} ${why}${detail ? `: ${detail}` : ''}`, tool, code, stderr),
      );
    });
  });
}
