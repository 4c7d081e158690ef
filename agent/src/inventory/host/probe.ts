// Small helpers for reading the machine without failing on what is missing.
import { access, readFile } from 'node:fs/promises';

/** Reports something the agent could not find out, and what it assumed instead. */
export type Warn = (message: string) => void;

export async function readText(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
