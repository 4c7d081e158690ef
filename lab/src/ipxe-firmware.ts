/**
 * Just enough of iPXE for the lab's network boot: fetch the script the DHCP server names, follow
 * its `chain`s, and end at `exit` (boot the next device) or at `kernel` + `initrd` + `boot`.
 * Labels and `goto` are followed; `echo`, `sleep`, `imgfree`, `set` and the like do nothing.
 */

/** Where a network boot ended. */
export type NetbootOutcome =
  | {
      kind: 'next-device';
      /** Why, for the lab's output: the script exited, or a fetch failed. */
      reason: string;
      /** The scripts fetched, in order. */
      scripts: string[];
    }
  | {
      kind: 'kernel';
      kernelUrl: string;
      initrdUrl: string;
      /** The kernel's command line words, variables expanded. */
      args: string[];
      scripts: string[];
    };

/** The network boot cannot go on (an agent kernel or initrd that does not download, a bad script). */
export class NetbootError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NetbootError';
  }
}

/** A script iPXE could not fetch: the command fails, and `|| goto` may catch it. */
class FetchFailed extends Error {}

const FETCH_TIMEOUT_MS = 30_000;
/** Commands run before a script is taken for a loop. */
const MAX_STEPS = 1_000;
const MAX_DEPTH = 8;

/** Boots `mac` (lower case, colons) from the script at `url`, as iPXE would. */
export async function netboot(url: string, mac: string): Promise<NetbootOutcome> {
  const scripts: string[] = [];
  try {
    const outcome = await runScript(url, { mac, scripts }, 0);
    return outcome ?? { kind: 'next-device', reason: `${url} ended without booting`, scripts };
  } catch (error) {
    if (error instanceof FetchFailed)
      return { kind: 'next-device', reason: error.message, scripts };
    throw error;
  }
}

/** iPXE's `${mac}`, `${mac:hexhyp}`, `${mac:hex}` and the same for `${net0/mac...}`. */
export function expandMac(text: string, mac: string): string {
  return text.replace(/\$\{(?:net0\/)?mac(?::(hexhyp|hex))?\}/g, (_, format?: string) =>
    format === 'hexhyp' ? mac.replace(/:/g, '-') : mac,
  );
}

/** `key=value` words of a kernel command line (flags have an empty value). */
export function kernelParams(args: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    args.map((word) => {
      const eq = word.indexOf('=');
      return eq < 0 ? [word, ''] : [word.slice(0, eq), word.slice(eq + 1)];
    }),
  );
}

interface Run {
  mac: string;
  scripts: string[];
}

async function runScript(
  url: string,
  run: Run,
  depth: number,
): Promise<NetbootOutcome | undefined> {
  if (depth > MAX_DEPTH) throw new NetbootError(`more than ${MAX_DEPTH} nested chains at ${url}`);
  const text = await fetchText(url);
  run.scripts.push(url);
  if (!text.startsWith('#!ipxe'))
    throw new NetbootError(`${url} is not an iPXE script (it does not start with #!ipxe)`);
  const lines = text.split(/\r?\n/).map((line) => line.trim());
  const labels = new Map<string, number>();
  lines.forEach((line, i) => {
    if (line.startsWith(':')) labels.set(line.slice(1), i);
  });
  const jump = (label: string): number => {
    const at = labels.get(label);
    if (at === undefined) throw new NetbootError(`${url}: goto ${label}: no such label`);
    return at;
  };

  let kernel: { url: string; args: string[] } | undefined;
  let initrd: string | undefined;
  /** The failure a `|| goto` caught last, for the reason of an `exit`. */
  let caught: string | undefined;
  let steps = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '' || line.startsWith('#') || line.startsWith(':')) continue;
    if (++steps > MAX_STEPS) throw new NetbootError(`${url} loops: ${MAX_STEPS} commands run`);
    const [command = '', onFailure] = line.split(/\s+\|\|\s+/);
    const words = expandMac(command, run.mac).split(/\s+/);
    const catchTo = /^goto\s+(\S+)$/.exec(onFailure ?? '')?.[1];
    switch (words[0]) {
      case 'chain': {
        const [target] = positional(words);
        if (!target) throw new NetbootError(`${url}: chain without a URL`);
        let outcome: NetbootOutcome | undefined;
        try {
          outcome = await runScript(new URL(target, url).toString(), run, depth + 1);
        } catch (error) {
          if (!(error instanceof FetchFailed) || catchTo === undefined) throw error;
          caught = error.message;
          i = jump(catchTo);
          continue;
        }
        if (outcome) return outcome;
        // The chained script ended: iPXE carries on with the next line.
        continue;
      }
      case 'exit':
        return {
          kind: 'next-device',
          reason: caught === undefined ? `${url} exits` : `${caught}, and ${url} exits`,
          scripts: run.scripts,
        };
      case 'kernel': {
        const [target, ...args] = positional(words);
        if (!target) throw new NetbootError(`${url}: kernel without a URL`);
        kernel = { url: await download(new URL(target, url).toString(), 'kernel'), args };
        continue;
      }
      case 'initrd': {
        const [target] = positional(words);
        if (!target) throw new NetbootError(`${url}: initrd without a URL`);
        initrd = await download(new URL(target, url).toString(), 'initrd');
        continue;
      }
      case 'boot':
        if (!kernel || !initrd)
          throw new NetbootError(`${url}: boot before both a kernel and an initrd were loaded`);
        return {
          kind: 'kernel',
          kernelUrl: kernel.url,
          initrdUrl: initrd,
          args: kernel.args,
          scripts: run.scripts,
        };
      case 'goto':
        if (!words[1]) throw new NetbootError(`${url}: goto without a label`);
        i = jump(words[1]);
        continue;
      default:
        // echo, sleep, imgfree, set, prompt...: nothing the lab has to act on.
        continue;
    }
  }
  return undefined;
}

/** Options of iPXE's image commands that take a value. */
const WITH_VALUE = new Set(['--name', '-n', '--timeout', '-t']);

/** The words after the command and its options (`--name x`, `--autofree`, ...). */
function positional(words: readonly string[]): string[] {
  let i = 1;
  while (i < words.length && words[i]!.startsWith('-')) {
    const option = words[i]!;
    i += WITH_VALUE.has(option) ? 2 : 1;
  }
  return words.slice(i);
}

async function fetchText(url: string): Promise<string> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  } catch (error) {
    throw new FetchFailed(`could not fetch ${url}: ${(error as Error).message}`);
  }
  const body = await response.text();
  if (!response.ok) throw new FetchFailed(`could not fetch ${url}: HTTP ${response.status}`);
  return body;
}

/** Downloads the kernel or initrd whole, as iPXE does before booting; returns the URL. */
async function download(url: string, what: 'kernel' | 'initrd'): Promise<string> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
  } catch (error) {
    throw new NetbootError(
      `could not download the agent ${what} ${url}: ${(error as Error).message}`,
    );
  }
  return url;
}
