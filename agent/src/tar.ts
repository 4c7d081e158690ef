// A minimal ustar writer: IPA ships its logs as a tar.gz, and Ironic stores them as such.
const BLOCK = 512;

export interface TarEntry {
  name: string;
  data: Buffer;
  mtime?: Date;
}

export function tar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    parts.push(header(entry));
    parts.push(entry.data);
    const padding = (BLOCK - (entry.data.length % BLOCK)) % BLOCK;
    parts.push(Buffer.alloc(padding));
  }
  parts.push(Buffer.alloc(2 * BLOCK)); // end of archive
  return Buffer.concat(parts);
}

function header(entry: TarEntry): Buffer {
  if (Buffer.byteLength(entry.name) > 100)
    throw new Error(`tar entry name too long: ${entry.name}`);
  const h = Buffer.alloc(BLOCK);
  const mtime = Math.floor((entry.mtime ?? new Date()).getTime() / 1000);
  h.write(entry.name, 0, 100, 'utf8');
  h.write(octal(0o644, 7), 100, 8, 'ascii');
  h.write(octal(0, 7), 108, 8, 'ascii');
  h.write(octal(0, 7), 116, 8, 'ascii');
  h.write(octal(entry.data.length, 11), 124, 12, 'ascii');
  h.write(octal(mtime, 11), 136, 12, 'ascii');
  h.write('        ', 148, 8, 'ascii'); // checksum is computed over spaces here
  h.write('0', 156, 1, 'ascii');
  h.write('ustar\u000000', 257, 8, 'ascii');
  h.write('root', 265, 32, 'ascii');
  h.write('root', 297, 32, 'ascii');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${octal(sum, 6)}\u0000 `, 148, 8, 'ascii');
  return h;
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width, '0');
}
