import type { Subscription } from '@nats-io/transport-node';
import type { Bus } from './bus.js';

/**
 * Receives replies for one service instance on its own core-NATS subject and hands each to the
 * caller waiting for its command id. Replies are not durable: a caller that times out (or died)
 * simply re-runs its persisted step, which is why every BMC command is idempotent.
 */
export class ReplyWaiter<R extends { command_id: string }> {
  readonly subject: string;
  private readonly waiting = new Map<
    string,
    { answer: (reply: R) => void; fail: (error: Error) => void; timer: NodeJS.Timeout }
  >();
  private readonly sub: Subscription;

  constructor(bus: Bus, owner: string) {
    this.subject = bus.subjects.replies(owner);
    this.sub = bus.subscribeCore(this.subject, (data) => {
      const reply = data as R;
      this.waiting.get(reply?.command_id)?.answer(reply);
    });
  }

  /** Resolves with the reply to `commandId`, or rejects after `timeoutMs`. Register before sending. */
  wait(commandId: string, timeoutMs: number, onTimeout: () => Error): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(commandId);
        reject(onTimeout());
      }, timeoutMs);
      const settle = () => {
        clearTimeout(timer);
        this.waiting.delete(commandId);
      };
      this.waiting.set(commandId, {
        timer,
        answer: (reply) => {
          settle();
          resolve(reply);
        },
        fail: (error) => {
          settle();
          reject(error);
        },
      });
    });
  }

  /** Stops waiting for `commandId` (its command was never sent); its promise stays pending. */
  cancel(commandId: string): void {
    const entry = this.waiting.get(commandId);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.waiting.delete(commandId);
  }

  /**
   * Stops receiving replies. Every caller still waiting fails with `why` at once instead of at its
   * timeout (a reply may take 30 minutes), so a stopping service is not held up by them.
   */
  close(why = 'this service is stopping'): void {
    this.sub.unsubscribe();
    for (const entry of [...this.waiting.values()]) entry.fail(new Error(why));
  }
}
