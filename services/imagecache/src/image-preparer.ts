import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { convertToRaw, MediaToolError, qemuImgInfo } from '@ingot/media';
import { setActiveSpanAttributes, SpanKind, withSpan, type Logger } from '@ingot/telemetry';
import { expectedDigest, type ExpectedDigest, type PreparePayload } from './digest.js';
import { downloadVerified, tooLarge } from './download.js';
import { ImageError, displayUrl } from './image-error.js';
import type { ImageIndex } from './image-index.js';
import { cacheHits, downloads } from './metrics.js';
import { SingleFlight } from './serial.js';

export interface PreparedImage {
  sha256: string;
  size: number;
}

export interface PreparerOptions {
  allowMd5: boolean;
  downloadTimeoutMs: number;
  budgetBytes: number;
  /** Bounds a conversion, which reads and writes the whole image. */
  convertTimeoutMs?: number;
  /** How long a prepared image is kept from eviction, so the agent that deploys it finds it. */
  reserveMs?: number;
}

const QCOW2_MAGIC = Buffer.from([0x51, 0x46, 0x49, 0xfb]);
/** How long a failed fetch is told to the requesters that poll for it (they poll every ≤ 30 s). */
const FAILURE_MEMORY_MS = 10 * 60_000;

/** `result`, or an `in_progress` ImageError once `waitMs` have passed (the fetch goes on). */
async function answerWithin<T>(
  result: Promise<T>,
  waitMs: number | undefined,
  source: string,
): Promise<T> {
  if (waitMs === undefined) return result;
  let timer: NodeJS.Timeout | undefined;
  const stillFetching = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new ImageError('in_progress', `still fetching ${displayUrl(source)}`)),
      waitMs,
    );
  });
  try {
    return await Promise.race([result, stillFetching]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Turns an image_source + checksum into a verified raw image in the cache. Concurrent requests
 * for the same source and checksum share one download; later ones are answered from the index.
 */
export class ImagePreparer {
  private readonly flights = new SingleFlight<PreparedImage>();
  /** Fetches that failed lately, by key, for requesters polling with waiting_since. */
  private readonly failures = new Map<string, { error: unknown; at: number }>();
  private readonly tmpDir: string;

  private constructor(
    private readonly index: ImageIndex,
    private readonly opts: PreparerOptions,
    private readonly logger: Logger,
  ) {
    this.tmpDir = join(index.dir, 'tmp');
  }

  /** Creates the preparer; leftovers of downloads cut short by a crash are removed. */
  static async create(
    index: ImageIndex,
    opts: PreparerOptions,
    logger: Logger,
  ): Promise<ImagePreparer> {
    const preparer = new ImagePreparer(index, opts, logger);
    await mkdir(preparer.tmpDir, { recursive: true });
    for (const name of await readdir(preparer.tmpDir))
      await rm(join(preparer.tmpDir, name), { recursive: true, force: true });
    return preparer;
  }

  /**
   * The image of `payload`, from the cache or fetched now. With `wait_ms`, a fetch that takes
   * longer goes on after an `in_progress` answer; the requester asks again (`waiting_since`) and
   * then joins it, or is answered from the cache, or hears how it failed.
   */
  async prepare(payload: PreparePayload): Promise<PreparedImage> {
    const digest = expectedDigest(payload, this.opts.allowMd5);
    const key = `${payload.image_source}\n${digest.algo}:${digest.hex}`;
    const cached = this.index.lookup(key);
    if (cached) {
      setActiveSpanAttributes(() => ({ 'ingot.image.cache': 'hit' }));
      cacheHits.inc({ how: 'cached' });
      this.reserve(cached.sha256);
      return { sha256: cached.sha256, size: cached.size };
    }
    const failed = this.failures.get(key);
    if (failed && payload.waiting_since !== undefined && failed.at >= payload.waiting_since)
      throw failed.error;
    const flight = this.flights.run(key, () =>
      this.fetchAndStore(key, payload.image_source, digest).then(
        (image) => {
          this.failures.delete(key);
          return image;
        },
        (error: unknown) => {
          this.rememberFailure(key, error);
          throw error;
        },
      ),
    );
    if (flight.joined) cacheHits.inc({ how: 'joined' });
    setActiveSpanAttributes(() => ({ 'ingot.image.cache': flight.joined ? 'joined' : 'miss' }));
    const image = await answerWithin(flight.result, payload.wait_ms, payload.image_source);
    this.reserve(image.sha256);
    return image;
  }

  /** Kept for the requesters that were told "in progress" and will ask again. */
  private rememberFailure(key: string, error: unknown): void {
    const now = Date.now();
    for (const [k, f] of this.failures) if (now - f.at > FAILURE_MEMORY_MS) this.failures.delete(k);
    this.failures.set(key, { error, at: now });
  }

  private reserve(sha256: string): void {
    this.index.reserve(sha256, this.opts.reserveMs ?? 0);
  }

  private async fetchAndStore(
    key: string,
    source: string,
    digest: ExpectedDigest,
  ): Promise<PreparedImage> {
    const base = join(this.tmpDir, randomBytes(8).toString('hex'));
    const downloaded = `${base}.download`;
    const converted = `${base}.raw`;
    try {
      // The checksum is verified as the bytes stream in: the span covers both, and says so.
      const fetched = await withSpan(
        'image download',
        {
          kind: SpanKind.CLIENT,
          attributes: {
            'url.full': displayUrl(source),
            'ingot.image.checksum.algorithm': digest.algo,
          },
        },
        async (span) => {
          const result = await downloadVerified(source, downloaded, {
            expected: digest,
            idleTimeoutMs: this.opts.downloadTimeoutMs,
            maxBytes: this.opts.budgetBytes,
          });
          span.addEvent('checksum verified', { 'ingot.image.sha256': result.sha256 });
          span.setAttributes({
            'ingot.image.size': result.size,
            'ingot.image.sha256': result.sha256,
          });
          return result;
        },
      );
      let raw = { path: downloaded, sha256: fetched.sha256, size: fetched.size };
      if (fetched.head.subarray(0, 4).equals(QCOW2_MAGIC)) {
        raw = await withSpan(
          'image convert',
          { attributes: { 'ingot.image.source_format': 'qcow2', 'ingot.image.format': 'raw' } },
          () => this.convert(source, downloaded, converted),
        );
      }
      const entry = await this.index.add(key, { ...raw, source }, (path) => rename(raw.path, path));
      // Reserved at once, before any other download can make room by evicting it.
      this.reserve(entry.sha256);
      downloads.inc({ outcome: 'ok' });
      this.logger.info(
        { source: displayUrl(source), sha256: entry.sha256, size: entry.size },
        'image cached',
      );
      return { sha256: entry.sha256, size: entry.size };
    } catch (error) {
      const kind = error instanceof ImageError ? error.kind : 'error';
      downloads.inc({ outcome: kind });
      throw error;
    } finally {
      await rm(downloaded, { force: true });
      await rm(converted, { force: true });
    }
  }

  /** qcow2 → raw. An image naming a backing or data file could make qemu-img read host files. */
  private async convert(
    source: string,
    qcow2: string,
    dest: string,
  ): Promise<{ path: string; sha256: string; size: number }> {
    const shown = displayUrl(source);
    try {
      const info = await qemuImgInfo(qcow2, 'qcow2');
      if (info.backingFile || info.dataFile)
        throw new ImageError(
          'invalid',
          `${shown} is a qcow2 that depends on another file (${info.backingFile ?? info.dataFile}); upload a standalone image (qemu-img convert flattens it)`,
        );
      if (info.virtualSize > this.opts.budgetBytes)
        throw tooLarge(source, info.virtualSize, this.opts.budgetBytes);
      await convertToRaw(qcow2, dest, {
        sourceFormat: 'qcow2',
        timeoutMs: this.opts.convertTimeoutMs,
      });
    } catch (error) {
      if (error instanceof MediaToolError)
        throw new ImageError(
          'convert',
          `Could not convert ${shown} from qcow2 to raw: ${error.message}`,
        );
      throw error;
    }
    // The raw image's own sha256 is its address in the cache and what the agent verifies.
    const sha256 = await withSpan('image hash', {}, () => sha256OfFile(dest));
    return { path: dest, sha256, size: (await stat(dest)).size };
  }
}

function sha256OfFile(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .once('error', reject)
      .once('end', () => resolve(hash.digest('hex')));
  });
}
