import { randomUUID } from 'node:crypto';
import { ReplyWaiter, traceHeaders, type Bus } from '@ingot/bus';
import { enqueueOutbox, type Db, type NodeRow } from '@ingot/store';

export interface Reply {
  command_id: string;
  ok: boolean;
}

/**
 * Request/reply to a site's workers (power, image cache): the command travels durably through the
 * outbox and JetStream; the answer comes back on this conductor's own core-NATS subject. A lost
 * answer (this conductor died) is not a problem: whoever resumes the node runs the step again.
 */
export class Rpc {
  private readonly waiter: ReplyWaiter<Reply>;

  constructor(
    private readonly db: Db,
    private readonly bus: Bus,
    owner: string,
  ) {
    this.waiter = new ReplyWaiter<Reply>(bus, owner);
  }

  async call<R extends Reply>(
    node: NodeRow,
    subject: string,
    message: { type: string; payload: unknown },
    requestId: string | undefined,
    timeoutMs: number,
    onTimeout: () => Error,
  ): Promise<R> {
    const id = randomUUID();
    const now = Date.now();
    const reply = this.waiter.wait(id, timeoutMs, onTimeout);
    await enqueueOutbox(this.db, [
      {
        id,
        subject,
        headers: { ...traceHeaders(), 'Ingot-Reply-To': this.waiter.subject },
        payload: {
          id,
          ...message,
          site: node.conductorGroup,
          node_uuid: node.uuid,
          request_id: requestId,
          issued_at: new Date(now).toISOString(),
          expires_at: new Date(now + timeoutMs).toISOString(),
        },
      },
    ]);
    return (await reply) as R;
  }

  close(): void {
    this.waiter.close();
  }
}
