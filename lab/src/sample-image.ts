import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SBIN = `${process.env.PATH ?? ''}:/usr/sbin:/sbin`;

export interface TestImage {
  raw: Buffer;
  rawSha256: string;
  qcow2Path: string;
  qcow2Sha256: string;
}

/**
 * A small whole-disk image as a real one looks: a GPT with one partition holding recognisable
 * bytes, offered as qcow2 (the format users upload) next to its raw form for comparisons.
 */
export async function makeTestImage(dir: string, sizeMiB = 16): Promise<TestImage> {
  const rawPath = join(dir, 'image.raw');
  const handle = await open(rawPath, 'w');
  await handle.truncate(sizeMiB * 1024 * 1024);
  await handle.write(randomBytes(256 * 1024), 0, 256 * 1024, 2 * 1024 * 1024); // inside the partition
  await handle.close();
  const script = 'label: gpt\nstart=2048, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4\n';
  await new Promise<void>((resolve, reject) => {
    const child = execFile('sfdisk', ['--quiet', rawPath], { env: { PATH: SBIN } }, (error) =>
      error ? reject(error) : resolve(),
    );
    child.stdin!.end(script);
  });
  const qcow2Path = join(dir, 'image.qcow2');
  await run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', rawPath, qcow2Path]);
  const raw = await readFile(rawPath);
  const qcow2 = await readFile(qcow2Path);
  return { raw, rawSha256: sha256(raw), qcow2Path, qcow2Sha256: sha256(qcow2) };
}

export const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** An HTTP origin on loopback serving files, counting the requests for each path. */
export class ImageOrigin {
  readonly hits = new Map<string, number>();
  /** Paths whose requests wait (as behind a slow link) until released with a status. */
  private readonly gates = new Map<
    string,
    { opened: Promise<number>; open(status: number): void }
  >();
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(files: Record<string, string>): Promise<ImageOrigin> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (!address || typeof address !== 'object') throw new Error('no address');
    const origin = new ImageOrigin(server, `http://127.0.0.1:${address.port}`);
    server.on('request', async (req, res) => {
      const path = req.url ?? '';
      origin.hits.set(path, (origin.hits.get(path) ?? 0) + 1);
      const gate = origin.gates.get(path);
      const status = gate ? await gate.opened : 200;
      const file = files[path];
      if (!file) return void res.writeHead(404).end();
      if (status !== 200) return void res.writeHead(status).end();
      res.writeHead(200, { 'content-length': (await stat(file)).size });
      createReadStream(file).pipe(res);
    });
    return origin;
  }

  /**
   * Requests for `path` get no answer until `open` is called: then the file (status 200) or that
   * status with no body, for them and every later request.
   */
  hold(path: string): { open(status?: number): void } {
    let open!: (status: number) => void;
    const opened = new Promise<number>((resolve) => (open = resolve));
    this.gates.set(path, { opened, open });
    return { open: (status = 200) => open(status) };
  }

  close(): Promise<void> {
    for (const gate of this.gates.values()) gate.open(503);
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export async function scratchDir(): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'ingot-test-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** Bytes [offset, offset+length) of a file. */
export async function readRange(path: string, offset: number, length: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, offset);
    return buffer;
  } finally {
    await handle.close();
  }
}

/** The partitions sfdisk sees on a disk file. */
export async function partitionsOf(
  path: string,
): Promise<{ start: number; size: number; type: string }[]> {
  const { stdout } = await run('sfdisk', ['--json', path], { env: { PATH: SBIN } });
  return (JSON.parse(stdout).partitiontable.partitions ?? []) as {
    start: number;
    size: number;
    type: string;
  }[];
}
