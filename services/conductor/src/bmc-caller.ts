import type { BmcCommand, BmcCommandType, BmcReply } from '@ingot/contracts';
import type { Bus, CommandReply, Requester } from '@ingot/bus';
import { driverFingerprint, type NodeRow } from '@ingot/store';

/** Thrown when the BMC could not do what was asked; `message` is ready for last_error. */
export class BmcCallError extends Error {
  constructor(
    message: string,
    readonly kind: string,
  ) {
    super(message);
    this.name = 'BmcCallError';
  }
}

type PayloadOf<T extends BmcCommandType> = Extract<BmcCommand, { type: T }>['payload'];

/**
 * Asks the site's power workers to run a BMC command and waits for the answer. The conductor
 * never speaks a BMC protocol itself; it only knows the node and the interface operation.
 */
export class BmcCaller {
  constructor(
    private readonly requester: Requester<CommandReply>,
    private readonly bus: Bus,
    private readonly timeoutMs: number,
  ) {}

  async call<T extends BmcCommandType>(
    node: NodeRow,
    type: T,
    payload: PayloadOf<T>,
    requestId: string | undefined,
    timeoutMs = this.timeoutMs,
  ): Promise<Extract<BmcReply, { ok: true }>> {
    const site = node.conductorGroup || 'default';
    const answer = await this.requester.request<BmcReply>(
      this.bus.subjects.power(node.conductorGroup),
      {
        site: node.conductorGroup,
        node_uuid: node.uuid,
        request_id: requestId,
        driver_fingerprint: driverFingerprint(node),
      },
      { type, payload },
      timeoutMs,
      () =>
        new BmcCallError(
          `no power worker of site "${site}" answered ${type} within ${Math.round(timeoutMs / 1000)} s`,
          'timeout',
        ),
    );
    if (!answer.ok) throw new BmcCallError(answer.error.message, answer.error.kind);
    return answer;
  }
}
