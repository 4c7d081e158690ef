// Downloading an image into a file or device while hashing it, then checking the digest.
import type { FileHandle } from 'node:fs/promises';
import type { Dispatcher } from 'undici';
import { AgentError } from '../errors.js';
import type { AgentLogger } from '../log.js';
import type { ExpectedDigest } from './checksum.js';
import { checksumMismatch, newHash } from './checksum.js';
import type { ByteSink } from './download.js';
import { downloadTo } from './download.js';
import type { ImageInfo } from './image-info.js';

const QCOW2_MAGIC = Buffer.from([0x51, 0x46, 0x49, 0xfb]);

export interface FetchEnv {
  log: AgentLogger;
  signal?: AbortSignal;
  /** Pause between attempts on one URL (tests shorten it). */
  retryDelayMs?: number;
  /** How HTTPS image servers are verified (outbound-tls.ts). */
  dispatcher?: Dispatcher;
}

export interface ImageTarget {
  /** Bytes the target can hold. */
  limit: number;
  /** Named in errors. */
  name: string;
  /** The body must be a raw disk image (so a qcow2 header means a mislabelled image). */
  raw: boolean;
}

/**
 * Writes the image at its offsets in `handle`, trying each URL in turn, and rejects with
 * "Image checksum mismatch for <url>: …" unless the bytes hash to the expected digest.
 */
export async function fetchVerifiedImage(
  info: ImageInfo,
  digest: ExpectedDigest,
  handle: FileHandle,
  target: ImageTarget,
  env: FetchEnv,
): Promise<void> {
  const sink = new HashingFileSink(handle, digest, target);
  const url = await downloadFromAny(info, sink, env);
  const got = sink.hexDigest();
  if (got !== digest.value) throw checksumMismatch(url, digest.value, got);
}

/** Resolves with the URL that delivered. */
async function downloadFromAny(
  info: ImageInfo,
  sink: HashingFileSink,
  env: FetchEnv,
): Promise<string> {
  const failures: string[] = [];
  for (const url of info.urls) {
    // The server only: a URL's path or query may carry credentials (signed URLs).
    env.log.info('downloading image', { image: info.id, from: originOf(url) });
    try {
      await sink.restart();
      await downloadTo(url, sink, {
        signal: env.signal,
        retryDelayMs: env.retryDelayMs,
        dispatcher: env.dispatcher,
        onRetry: (attempt, error) =>
          env.log.warn('image download interrupted, retrying', {
            url,
            attempt,
            error: error.message,
          }),
      });
      return url;
    } catch (err) {
      // The image itself is wrong (too large, mislabelled) or the disk failed: no other URL helps.
      if (err instanceof AgentError) throw err;
      failures.push(`${url}: ${(err as Error).message}`);
      if (env.signal?.aborted) break;
    }
  }
  throw AgentError.imageDownload(info.id, failures.join('; '));
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'an invalid URL';
  }
}

/** Writes the body at its offsets and hashes it in order. */
class HashingFileSink implements ByteSink {
  private hash;

  constructor(
    private readonly handle: FileHandle,
    private readonly digest: ExpectedDigest,
    private readonly target: ImageTarget,
  ) {
    this.hash = newHash(digest.algorithm);
  }

  async write(chunk: Buffer, offset: number): Promise<void> {
    if (this.target.raw && offset === 0 && chunk.subarray(0, 4).equals(QCOW2_MAGIC)) {
      throw AgentError.invalidImage(
        'the image is declared raw but is a qcow2 image (set disk_format to qcow2)',
      );
    }
    if (offset + chunk.length > this.target.limit) {
      throw AgentError.invalidImage(
        `the image is larger than ${this.target.name} (${this.target.limit} bytes)`,
      );
    }
    this.hash.update(chunk);
    try {
      await this.handle.write(chunk, 0, chunk.length, offset);
    } catch (err) {
      throw AgentError.imageWrite(
        `writing to ${this.target.name} failed: ${(err as Error).message}`,
      );
    }
  }

  async restart(): Promise<void> {
    this.hash = newHash(this.digest.algorithm);
  }

  hexDigest(): string {
    return this.hash.digest('hex');
  }
}
