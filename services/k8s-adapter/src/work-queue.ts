/**
 * controller-runtime's work queue in small: a key is queued at most once, never processed by two
 * workers at once (a change during processing queues it again), and may be delayed.
 */
export class WorkQueue {
  private readonly queued = new Set<string>();
  private readonly running = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly order: string[] = [];
  private active = 0;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly concurrency: number,
    private readonly process: (key: string) => Promise<number | undefined>,
    private readonly onError: (key: string, error: unknown) => number,
  ) {}

  /** Queues the key now (a pending delayed run of it is replaced). */
  add(key: string): void {
    if (this.stopped) return;
    const timer = this.timers.get(key);
    if (timer) {
      clearTimeout(timer);
      this.timers.delete(key);
    }
    if (this.running.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.order.push(key);
    this.pump();
  }

  /** Queues the key after a delay, unless an earlier run is already due. */
  addAfter(key: string, delayMs: number): void {
    if (this.stopped) return;
    if (delayMs <= 0) return this.add(key);
    if (this.timers.has(key) || this.queued.has(key)) return;
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.timers.set(key, timer);
  }

  get depth(): number {
    return this.queued.size;
  }

  /** Takes no more keys and drops the waiting ones; the running ones finish (see idle()). */
  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.queued.clear();
    this.dirty.clear();
    this.order.length = 0;
  }

  /** Resolves when no key is being processed (after stop(): when the last running one ended). */
  idle(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    if (this.stopped) return;
    while (this.active < this.concurrency && this.order.length > 0) {
      const key = this.order.shift()!;
      this.queued.delete(key);
      this.running.add(key);
      this.active++;
      void this.run(key);
    }
  }

  private async run(key: string): Promise<void> {
    let again: number | undefined;
    try {
      again = await this.process(key);
    } catch (error) {
      again = this.onError(key, error);
    }
    this.running.delete(key);
    this.active--;
    if (this.dirty.delete(key)) this.add(key);
    else if (again !== undefined) this.addAfter(key, again);
    this.pump();
    if (this.active === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
