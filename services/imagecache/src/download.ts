import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { ExpectedDigest } from './digest.js';
import { ImageError, displayUrl } from './image-error.js';

export interface Downloaded {
  size: number;
  /** sha256 of the bytes as downloaded (the cache's content address when they are raw). */
  sha256: string;
  /** The first bytes, to recognise the format whatever the request claimed. */
  head: Buffer;
}

export interface DownloadOptions {
  expected: ExpectedDigest;
  /** Abandon when no bytes arrive for this long. */
  idleTimeoutMs: number;
  /** The cache budget: an image larger than the whole cache can never be kept. */
  maxBytes: number;
}

const HEAD_BYTES = 512;

const NETWORK_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'the connection was reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'the connection broke',
};

function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  const code = cause?.code ?? (error as { code?: string })?.code;
  if (code && NETWORK_ERRORS[code]) return NETWORK_ERRORS[code];
  if (code?.startsWith('ERR_TLS') || /certificate/i.test(cause?.message ?? ''))
    return `TLS failed: ${cause?.message ?? code}`;
  return cause?.message ?? (error instanceof Error ? error.message : String(error));
}

const formatBytes = (n: number): string =>
  n >= 1024 ** 3 ? `${(n / 1024 ** 3).toFixed(1)} GiB` : `${Math.ceil(n / 1024 ** 2)} MiB`;

export function tooLarge(source: string, size: number, budget: number): ImageError {
  return new ImageError(
    'capacity',
    `${displayUrl(source)} is ${formatBytes(size)}, more than the whole image cache (${formatBytes(budget)}); raise INGOT_IMAGECACHE_BUDGET_BYTES`,
  );
}

/**
 * Streams an http(s) image to `dest`, hashing while writing, and throws an ImageError unless the
 * bytes match the expected digest. The caller removes `dest` when this throws.
 */
export async function downloadVerified(
  source: string,
  dest: string,
  opts: DownloadOptions,
): Promise<Downloaded> {
  const shown = displayUrl(source);
  const url = parseSource(source);
  const abort = new AbortController();
  let idle: NodeJS.Timeout | undefined;
  const stillAlive = () => {
    clearTimeout(idle);
    idle = setTimeout(() => abort.abort(), opts.idleTimeoutMs);
  };
  const fail = (reason: string) =>
    new ImageError('download', `Could not download ${shown}: ${reason}`);
  const stalled = () => fail(`no data for ${Math.round(opts.idleTimeoutMs / 1000)} s`);

  const file = await open(dest, 'w');
  try {
    stillAlive();
    let response: IncomingMessage;
    try {
      response = await follow(url, abort.signal);
    } catch (error) {
      throw abort.signal.aborted ? stalled() : fail(networkReason(error));
    }
    if (response.statusCode !== 200) {
      response.destroy();
      throw fail(`HTTP ${response.statusCode} ${response.statusMessage ?? ''}`.trim());
    }
    const announced = Number(response.headers['content-length'] ?? NaN);
    if (announced > opts.maxBytes) {
      response.destroy();
      throw tooLarge(source, announced, opts.maxBytes);
    }

    const check = createHash(opts.expected.algo);
    const sha256 = opts.expected.algo === 'sha256' ? check : createHash('sha256');
    const head: Buffer[] = [];
    let headLength = 0;
    let size = 0;
    try {
      for await (const chunk of response) {
        stillAlive();
        const bytes = chunk as Buffer;
        size += bytes.length;
        if (size > opts.maxBytes) {
          response.destroy();
          throw tooLarge(source, size, opts.maxBytes);
        }
        check.update(bytes);
        if (sha256 !== check) sha256.update(bytes);
        if (headLength < HEAD_BYTES) {
          head.push(bytes.subarray(0, HEAD_BYTES - headLength));
          headLength += Math.min(bytes.length, HEAD_BYTES - headLength);
        }
        await file.write(bytes);
      }
    } catch (error) {
      response.destroy();
      if (error instanceof ImageError) throw error;
      if (abort.signal.aborted) throw stalled();
      if ((error as NodeJS.ErrnoException).code === 'ENOSPC') throw error;
      throw fail(networkReason(error));
    }
    if (Number.isFinite(announced) && size !== announced)
      throw fail(`received ${size} of ${announced} bytes`);
    const got = check.digest('hex');
    if (got !== opts.expected.hex)
      throw new ImageError(
        'checksum',
        `Checksum mismatch for ${shown}: expected ${opts.expected.algo} ${opts.expected.hex}, got ${got}`,
      );
    return {
      size,
      sha256: sha256 === check ? got : sha256.digest('hex'),
      head: Buffer.concat(head),
    };
  } finally {
    clearTimeout(idle);
    abort.abort();
    await file.close();
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

/**
 * GET with redirects followed, over node:http(s) rather than fetch: fetch refuses ports on the
 * browser "bad ports" list, which an image server is free to use.
 */
async function follow(url: URL, signal: AbortSignal): Promise<IncomingMessage> {
  let target = url;
  for (let hop = 0; ; hop += 1) {
    const response = await get(target, signal);
    const location = response.headers.location;
    if (!REDIRECTS.has(response.statusCode ?? 0) || !location) return response;
    response.resume();
    if (hop === MAX_REDIRECTS) throw new Error(`more than ${MAX_REDIRECTS} redirects`);
    target = new URL(location, target);
    if (target.protocol !== 'http:' && target.protocol !== 'https:')
      throw new Error(`redirected to a ${target.protocol} URL`);
  }
}

function get(url: URL, signal: AbortSignal): Promise<IncomingMessage> {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    request(url, { method: 'GET', signal, headers: { 'user-agent': 'ingot-imagecache' } })
      .once('response', resolve)
      // Kept for the request's lifetime: the final abort() must not raise an unhandled error.
      .on('error', reject)
      .end();
  });
}

function parseSource(source: string): URL {
  let url: URL;
  try {
    url = new URL(source);
  } catch {
    throw new ImageError('invalid', `image_source "${displayUrl(source)}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ImageError(
      'invalid',
      `image_source ${displayUrl(source)} must be an http or https URL, not ${url.protocol.replace(':', '')}`,
    );
  return url;
}
