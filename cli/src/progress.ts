/**
 * A progress display: on a terminal one line redrawn in place (messages scroll above it); in a
 * pipe or a CI log, the same line printed every `everyMs`, so the log shows progress without
 * flooding it.
 */
export class ProgressLine {
  private line = '';
  private lastPrinted = '';
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
    everyMs = 5_000,
    /** Nothing is drawn (--json): only log() lines are written. */
    private readonly quiet = false,
  ) {
    if (!out.isTTY && !quiet) {
      this.timer = setInterval(() => this.printPlain(), everyMs);
      this.timer.unref();
    }
  }

  private get tty(): boolean {
    return !!this.out.isTTY;
  }

  update(line: string): void {
    this.line = line;
    if (this.quiet) return;
    if (this.tty) this.out.write(`\r\x1b[2K${this.fit(line)}`);
    else if (!this.lastPrinted) this.printPlain();
  }

  /** A message of its own (a node failed): above the progress line on a terminal. */
  log(message: string): void {
    if (this.quiet) return;
    if (this.tty) this.out.write(`\r\x1b[2K${message}\n${this.fit(this.line)}`);
    else this.out.write(`${message}\n`);
  }

  /** Ends the display with the last state of the line. */
  done(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.quiet) return;
    if (this.tty) this.out.write(`\r\x1b[2K${this.fit(this.line)}\n`);
    else if (this.line !== this.lastPrinted) this.printPlain();
  }

  private printPlain(): void {
    if (!this.line) return;
    this.out.write(`${new Date().toISOString().slice(11, 19)} ${this.line}\n`);
    this.lastPrinted = this.line;
  }

  private fit(line: string): string {
    const width = this.out.columns || 120;
    return line.length < width ? line : `${line.slice(0, width - 2)}…`;
  }
}

/** "[########------------]" for done of total. */
export function bar(done: number, total: number, width = 20): string {
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

/** "manageable 30 · verifying 15 · enroll 5", most first. */
export function stateCounts(states: Iterable<string>): string {
  const counts = new Map<string, number>();
  for (const s of states) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([state, n]) => `${state} ${n}`)
    .join(' · ');
}

export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * Remaining time at the rate nodes arrive, measured from the first arrival: servers of a batch
 * work in parallel and arrive in a burst, so the time before the first one says little.
 */
export class Eta {
  private readonly startedAt = Date.now();
  private firstArrival: { at: number; done: number } | undefined;
  constructor(private readonly doneAtStart: number) {}

  estimate(done: number, total: number): number | undefined {
    if (done <= this.doneAtStart) return undefined;
    this.firstArrival ??= { at: Date.now(), done };
    const gained = done - this.firstArrival.done;
    if (gained <= 0) return undefined;
    const perNode = (Date.now() - this.firstArrival.at) / gained;
    return perNode * (total - done);
  }

  elapsed(): number {
    return Date.now() - this.startedAt;
  }
}
