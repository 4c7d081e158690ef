/** Runs tasks one after another per key, e.g. the boot ISO builds of one node. */
export class KeyedSerial {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous.then(task, task);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }
}

/** Joins callers asking for the same thing while it is being made, so it is made once. */
export class SingleFlight<T> {
  private readonly inflight = new Map<string, Promise<T>>();

  run(key: string, task: () => Promise<T>): { result: Promise<T>; joined: boolean } {
    const running = this.inflight.get(key);
    if (running) return { result: running, joined: true };
    const result = task().finally(() => this.inflight.delete(key));
    this.inflight.set(key, result);
    return { result, joined: false };
  }
}
