import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@ingot/telemetry';
import { ImageError } from './image-error.js';
import { cacheBytes, cacheImages, evictions } from './metrics.js';
import { KeyedSerial } from './serial.js';

/** One way of asking for an image (source + expected checksum) and the raw file it resolved to. */
export interface CacheEntry {
  sha256: string;
  size: number;
  last_used: string;
  source: string;
}

interface IndexFile {
  version: 1;
  /** Least recently used first. */
  entries: Record<string, CacheEntry>;
}

const SHA256 = /^[0-9a-f]{64}$/;

/**
 * The cache's table of contents, kept in index.json (rewritten atomically) so a restart keeps the
 * cache. Raw files are content-addressed (`images/<sha256>.raw`), so two sources with the same
 * content share one file; the budget counts each file once and eviction removes whole files,
 * least recently used first, skipping files pinned by a transfer.
 */
export class ImageIndex {
  /** Insertion order is the LRU order: a touched entry is moved to the end. */
  private readonly entries = new Map<string, CacheEntry>();
  private readonly pins = new Map<string, number>();
  private readonly commits = new KeyedSerial();
  private saving: Promise<void> | undefined;
  private dirty = false;

  private constructor(
    readonly dir: string,
    private readonly budgetBytes: number,
    private readonly logger: Logger,
  ) {}

  static async open(dir: string, budgetBytes: number, logger: Logger): Promise<ImageIndex> {
    const index = new ImageIndex(dir, budgetBytes, logger);
    await mkdir(join(dir, 'images'), { recursive: true });
    await index.load();
    return index;
  }

  imagePath(sha256: string): string {
    return join(this.dir, 'images', `${sha256}.raw`);
  }

  /** The entry for a source + checksum, marked as just used. */
  lookup(key: string): CacheEntry | undefined {
    const entry = this.entries.get(key);
    if (entry) this.touchKeys([key]);
    return entry;
  }

  /** The cached file with this content, marked as just used (it is being served). */
  useFile(sha256: string): { path: string; size: number } | undefined {
    const keys = [...this.entries].filter(([, e]) => e.sha256 === sha256).map(([key]) => key);
    const first = keys[0] === undefined ? undefined : this.entries.get(keys[0]);
    if (!first) return undefined;
    this.touchKeys(keys);
    return { path: this.imagePath(sha256), size: first.size };
  }

  /** Keeps a file from eviction until the returned release is called. */
  pin(sha256: string): () => void {
    this.pins.set(sha256, (this.pins.get(sha256) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.pins.get(sha256) ?? 1) - 1;
      if (left > 0) this.pins.set(sha256, left);
      else this.pins.delete(sha256);
    };
  }

  /**
   * Keeps a file from eviction for `ms`: an image the cache just handed to a conductor is
   * downloaded by an agent only after that node boots, minutes later.
   */
  reserve(sha256: string, ms: number): void {
    if (ms <= 0) return;
    setTimeout(this.pin(sha256), ms).unref();
  }

  usedBytes(): number {
    return [...this.files().values()].reduce((sum, file) => sum + file.size, 0);
  }

  /**
   * Adds a verified raw image: makes room for it, lets `moveIn` put the file at its path (unless
   * that content is cached already) and persists the index before resolving.
   */
  add(
    key: string,
    image: { sha256: string; size: number; source: string },
    moveIn: (path: string) => Promise<void>,
  ): Promise<CacheEntry> {
    return this.commits.run('', async () => {
      const present = this.files().has(image.sha256);
      if (!present) {
        await this.makeRoom(image.size, image.sha256, image.source);
        await moveIn(this.imagePath(image.sha256));
      }
      const entry = { ...image, last_used: new Date().toISOString() };
      this.entries.delete(key);
      this.entries.set(key, entry);
      await this.save();
      return entry;
    });
  }

  /** Waits for index writes under way. */
  async flush(): Promise<void> {
    while (this.saving) await this.saving;
  }

  /** Files by content, with the LRU position of their most recent entry. */
  private files(): Map<string, { size: number; recency: number }> {
    const files = new Map<string, { size: number; recency: number }>();
    let position = 0;
    for (const entry of this.entries.values())
      files.set(entry.sha256, { size: entry.size, recency: position++ });
    return files;
  }

  private touchKeys(keys: string[]): void {
    const now = new Date().toISOString();
    for (const key of keys) {
      const entry = this.entries.get(key);
      if (!entry) continue;
      this.entries.delete(key);
      this.entries.set(key, { ...entry, last_used: now });
    }
    void this.save();
  }

  private async makeRoom(size: number, keep: string, source: string): Promise<void> {
    const files = this.files();
    let used = [...files.values()].reduce((sum, file) => sum + file.size, 0);
    const candidates = [...files]
      .filter(([sha256]) => sha256 !== keep && !this.pins.has(sha256))
      .sort(([, a], [, b]) => a.recency - b.recency);
    for (const [sha256, file] of candidates) {
      if (used + size <= this.budgetBytes) break;
      await this.evict(sha256);
      used -= file.size;
    }
    if (used + size > this.budgetBytes)
      throw new ImageError(
        'capacity',
        `No room in the image cache for ${source} (${size} bytes): ${used} of ${this.budgetBytes} bytes are held by images being served right now or reserved for deploys under way; retry later or raise INGOT_IMAGECACHE_BUDGET_BYTES`,
      );
  }

  private async evict(sha256: string): Promise<void> {
    for (const [key, entry] of [...this.entries])
      if (entry.sha256 === sha256) this.entries.delete(key);
    await rm(this.imagePath(sha256), { force: true });
    evictions.inc();
    this.logger.info({ sha256 }, 'evicted an image to stay within the cache budget');
  }

  private get indexPath(): string {
    return join(this.dir, 'index.json');
  }

  /** Reads index.json and makes it agree with the files: missing files drop their entries,
   * files without an entry (a crash between the rename and the index write) are removed. */
  private async load(): Promise<void> {
    const loaded = await readIndexFile(this.indexPath, this.logger);
    const sorted = Object.entries(loaded).sort(([, a], [, b]) =>
      a.last_used < b.last_used ? -1 : a.last_used > b.last_used ? 1 : 0,
    );
    let changed = false;
    for (const [key, entry] of sorted) {
      const file = await stat(this.imagePath(entry.sha256)).catch(() => undefined);
      if (file?.isFile() && file.size === entry.size) this.entries.set(key, entry);
      else changed = true;
    }
    const known = this.files();
    for (const name of await readdir(join(this.dir, 'images'))) {
      const sha256 = name.replace(/\.raw$/, '');
      if (known.has(sha256) && name.endsWith('.raw')) continue;
      await rm(join(this.dir, 'images', name), { recursive: true, force: true });
      this.logger.warn({ file: name }, 'removed a cache file that the index does not know');
    }
    if (this.usedBytes() > this.budgetBytes) {
      await this.makeRoom(0, '', 'the cache at start').catch(() => undefined);
      changed = true;
    }
    if (changed) await this.save();
    this.updateGauges();
  }

  /** Coalesces writes: one runs at a time and the last change is always written. */
  private save(): Promise<void> {
    this.dirty = true;
    this.updateGauges();
    this.saving ??= (async () => {
      try {
        while (this.dirty) {
          this.dirty = false;
          await this.writeIndex().catch((error: unknown) =>
            this.logger.error({ err: String(error) }, 'could not write the image cache index'),
          );
        }
      } finally {
        this.saving = undefined;
      }
    })();
    return this.saving;
  }

  private async writeIndex(): Promise<void> {
    const body: IndexFile = { version: 1, entries: Object.fromEntries(this.entries) };
    const temporary = `${this.indexPath}.${randomBytes(4).toString('hex')}.tmp`;
    const file = await open(temporary, 'w');
    try {
      await file.writeFile(JSON.stringify(body, null, 1));
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, this.indexPath);
  }

  private updateGauges(): void {
    cacheBytes.set(this.usedBytes());
    cacheImages.set(this.files().size);
  }
}

async function readIndexFile(path: string, logger: Logger): Promise<Record<string, CacheEntry>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Partial<IndexFile>;
    const entries = parsed.version === 1 && parsed.entries ? parsed.entries : {};
    return Object.fromEntries(
      Object.entries(entries).filter(
        ([, e]) =>
          SHA256.test(e?.sha256) &&
          Number.isSafeInteger(e.size) &&
          typeof e.last_used === 'string' &&
          typeof e.source === 'string',
      ),
    );
  } catch (error) {
    // The cache can always be rebuilt from the origins; an unreadable index only costs downloads.
    logger.warn({ err: String(error), path }, 'ignoring an unreadable image cache index');
    return {};
  }
}
