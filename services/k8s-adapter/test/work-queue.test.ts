import { describe, expect, it } from 'vitest';
import { restartDelay } from '../src/informer.js';
import { defaultRenewDeadlineMs } from '../src/leader.js';
import { WorkQueue } from '../src/work-queue.js';

const tick = () => new Promise((r) => setTimeout(r, 10));

describe('WorkQueue', () => {
  it('stop() drops waiting keys, runs nothing new, and idle() waits for the running ones', async () => {
    const started: string[] = [];
    const release: (() => void)[] = [];
    const queue = new WorkQueue(
      1,
      async (key) => {
        started.push(key);
        await new Promise<void>((r) => release.push(r));
        return 1; // asks to run again soon: a stopped queue must not
      },
      () => 1,
    );
    queue.add('a');
    queue.add('b');
    queue.add('a'); // running: marked dirty
    queue.addAfter('c', 5);
    await tick();
    expect(started).toEqual(['a']);
    queue.stop();
    let idle = false;
    const idled = queue.idle().then(() => (idle = true));
    await tick();
    expect(idle).toBe(false);
    release.shift()!();
    await idled;
    await tick();
    queue.add('d');
    await tick();
    expect(started).toEqual(['a']);
    expect(queue.depth).toBe(0);
    await queue.idle();
  });
});

describe('backoff and deadlines', () => {
  it('watch restarts double from the base up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => restartDelay(n, 1_000, 30_000))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000,
    ]);
    expect(restartDelay(10_000, 1_000, 30_000)).toBe(30_000);
  });

  it('the renew deadline is client-go’s two thirds of the lease, always shorter than it', () => {
    expect(defaultRenewDeadlineMs(15)).toBe(10_000);
    expect(defaultRenewDeadlineMs(4)).toBe(2_667);
    expect(defaultRenewDeadlineMs(2)).toBe(1_000);
  });
});
