import { appendFile, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageCacheReply } from '@ingot/contracts';
import type { Logger } from '@ingot/telemetry';

interface Entry {
  id: string;
  at: number;
  reply: ImageCacheReply;
}

/**
 * The answers given to commands that change what nodes boot (boot ISOs, iPXE configs): a command
 * delivered again after it was carried out (its acknowledgement lost with a killed image cache,
 * NATS restarted before storing it) gets its first answer again instead of being carried out
 * again. Carried out again, a 'pxe_config' after the 'pxe_clear' that followed it would send a
 * deployed server back into the agent at its next boot, and an old 'boot_iso' would put a dead
 * token on the node's ISO. Kept in a file beside the cache, so a restart remembers them, for an
 * hour: far beyond any command's expiry.
 */
export class CommandJournal {
  private readonly entries = new Map<string, Entry>();

  private constructor(
    private readonly path: string,
    private readonly keepMs: number,
  ) {}

  static async open(dir: string, logger: Logger, keepMs = 3600_000): Promise<CommandJournal> {
    const journal = new CommandJournal(join(dir, 'handled-commands.jsonl'), keepMs);
    let text = '';
    try {
      text = await readFile(journal.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        const entry = JSON.parse(line) as Entry;
        if (typeof entry.id === 'string' && typeof entry.at === 'number')
          journal.entries.set(entry.id, entry);
      } catch {
        // A line cut short by a crash while it was written: that command was not answered.
        logger.warn({ path: journal.path }, 'skipping a damaged line of the command journal');
      }
    }
    await journal.prune();
    return journal;
  }

  /** The answer already given to this command, if it was carried out. */
  answered(id: string): ImageCacheReply | undefined {
    return this.entries.get(id)?.reply;
  }

  /** Records a command's answer once it was carried out, before the answer is sent. */
  async record(id: string, reply: ImageCacheReply): Promise<void> {
    const entry = { id, at: Date.now(), reply };
    await appendFile(this.path, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
    this.entries.set(id, entry);
  }

  /** Forgets answers older than the keeping time, rewriting the file without them. */
  async prune(now = Date.now()): Promise<void> {
    for (const [id, entry] of this.entries)
      if (now - entry.at > this.keepMs) this.entries.delete(id);
    const partial = `${this.path}.tmp`;
    const lines = [...this.entries.values()].map((e) => `${JSON.stringify(e)}\n`).join('');
    await writeFile(partial, lines, { mode: 0o600 });
    await rename(partial, this.path);
  }
}
