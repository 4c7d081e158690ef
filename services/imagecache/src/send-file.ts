import { open } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface FileToSend {
  path: string;
  /** The content's sha256: a strong validator, since the bytes never change under one name. */
  sha256: string;
  contentType: string;
  cacheControl: string;
}

type ByteRange = { start: number; end: number };

/** Bytes to send: their size, date, and a reader of an inclusive range. */
export interface Content {
  size: number;
  mtimeMs: number;
  read(start: number, end: number): Readable;
  close(): Promise<void>;
}

export interface ContentToSend extends Omit<FileToSend, 'path'> {
  content: Content;
}

/** A file's whole content; undefined when the file is gone. */
export async function fileContent(path: string): Promise<Content | undefined> {
  return spliceContent(path, []);
}

/** A piece of a file, or in-memory bytes laid over a file at an offset. */
export type Splice =
  { offset: number; bytes: Buffer } | { window: { offset: number; size: number } };

/**
 * A file with byte runs replaced (same size), or a window of it: a per-node boot ISO is the
 * shared base ISO with the node's config laid over its agent.json extent. Undefined when gone.
 */
export async function spliceContent(path: string, splices: Splice[]): Promise<Content | undefined> {
  const handle = await open(path, 'r').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (!handle) return undefined;
  const stats = await handle.stat();
  const window = splices.find((s) => 'window' in s)?.window ?? { offset: 0, size: stats.size };
  const patches = splices.filter((s) => 'bytes' in s);
  async function* chunks(start: number, end: number): AsyncGenerator<Buffer> {
    const buffer = Buffer.alloc(256 * 1024);
    for (let at = start; at <= end;) {
      const length = Math.min(buffer.length, end - at + 1);
      const { bytesRead } = await handle!.read(buffer, 0, length, window.offset + at);
      if (bytesRead === 0) throw new Error(`${path} is shorter than expected`);
      const chunk = Buffer.from(buffer.subarray(0, bytesRead));
      for (const { offset, bytes } of patches) {
        const from = Math.max(offset, at);
        const to = Math.min(offset + bytes.length, at + bytesRead);
        if (from < to) bytes.copy(chunk, from - at, from - offset, to - offset);
      }
      yield chunk;
      at += bytesRead;
    }
  }
  return {
    size: window.size,
    mtimeMs: stats.mtimeMs,
    read: (start, end) => Readable.from(chunks(start, end)),
    close: () => handle.close(),
  };
}

/**
 * Sends a file with the HTTP semantics agents and BMCs rely on to resume a download:
 * single byte ranges (206/416), If-Range, and If-None-Match / If-Modified-Since (304).
 * Resolves with the body bytes sent; false when the file is gone (the caller answers 404).
 */
export async function sendFile(
  req: IncomingMessage,
  res: ServerResponse,
  file: FileToSend,
): Promise<number | false> {
  const content = await fileContent(file.path);
  if (!content) return false;
  return sendContent(req, res, { ...file, content });
}

/** sendFile for any content; it is closed once sent. */
export async function sendContent(
  req: IncomingMessage,
  res: ServerResponse,
  file: ContentToSend,
): Promise<number> {
  const { content } = file;
  try {
    const { size, mtimeMs } = content;
    const etag = `"${file.sha256}"`;
    const lastModified = new Date(Math.floor(mtimeMs / 1000) * 1000);
    const validators = {
      etag,
      'last-modified': lastModified.toUTCString(),
      'cache-control': file.cacheControl,
    };
    if (notModified(req, etag, lastModified)) {
      res.writeHead(304, validators).end();
      return 0;
    }
    const headers = {
      ...validators,
      'accept-ranges': 'bytes',
      'content-type': file.contentType,
    };
    const range = rangeApplies(req, etag, lastModified)
      ? parseRange(req.headers.range, size)
      : undefined;
    if (range === 'unsatisfiable') {
      res.writeHead(416, { ...headers, 'content-range': `bytes */${size}` }).end();
      return 0;
    }
    const { start, end } = range ?? { start: 0, end: size - 1 };
    const length = end - start + 1;
    res.writeHead(range ? 206 : 200, {
      ...headers,
      'content-length': String(length),
      ...(range ? { 'content-range': `bytes ${start}-${end}/${size}` } : {}),
    });
    if (req.method === 'HEAD' || length === 0) {
      res.end();
      return 0;
    }
    let sent = 0;
    const body = content.read(start, end);
    body.on('data', (chunk: Buffer | string) => (sent += chunk.length));
    // A client hanging up mid-transfer is normal (it resumes with Range); not an error here.
    await pipeline(body, res).catch(() => undefined);
    return sent;
  } finally {
    await content.close();
  }
}

/** RFC 9110 §13.2.2: If-None-Match wins over If-Modified-Since; both only for GET and HEAD. */
function notModified(req: IncomingMessage, etag: string, lastModified: Date): boolean {
  const noneMatch = req.headers['if-none-match'];
  if (noneMatch !== undefined) {
    const tags = noneMatch.split(',').map((tag) => tag.trim().replace(/^W\//, ''));
    return tags.includes('*') || tags.includes(etag);
  }
  const since = Date.parse(req.headers['if-modified-since'] ?? '');
  return Number.isFinite(since) && lastModified.getTime() <= since;
}

/** If-Range: serve the range only when the client's copy is still this one (strong match). */
function rangeApplies(req: IncomingMessage, etag: string, lastModified: Date): boolean {
  if (req.method !== 'GET' || req.headers.range === undefined) return false;
  const header = req.headers['if-range'];
  const ifRange = Array.isArray(header) ? header[0] : header;
  if (ifRange === undefined) return true;
  if (ifRange.startsWith('"') || ifRange.startsWith('W/')) return ifRange === etag;
  return Date.parse(ifRange) === lastModified.getTime();
}

/**
 * One `bytes=` range. Several ranges, or a malformed header, are ignored (a full 200), which
 * RFC 9110 allows; a well-formed range that starts past the end is unsatisfiable.
 */
function parseRange(
  header: string | undefined,
  size: number,
): ByteRange | 'unsatisfiable' | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec((header ?? '').trim());
  if (!match) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end: last === '' ? size - 1 : Math.min(Number(last), size - 1) };
}
