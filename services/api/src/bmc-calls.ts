import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Requester, type Bus } from '@ingot/bus';
import type {
  BmcCommand,
  BmcReply,
  BootDevice,
  BootDeviceChanged,
  VirtualMediaSlot,
} from '@ingot/contracts';
import { and, eq, gt } from 'drizzle-orm';
import { conductors, type Db, type NodeRow } from '@ingot/store';
import { ApiError, badRequest } from './errors.js';

/** Ironic's [conductor]heartbeat_timeout: a conductor silent for longer is not alive. */
export const CONDUCTOR_HEARTBEAT_TIMEOUT_MS = 60_000;

/** What GET .../management/boot_device answers. */
export interface BootDeviceAnswer {
  boot_device: BootDevice | null;
  persistent: boolean | null;
}

/**
 * The API's synchronous BMC requests, answered on this API instance's own reply subject:
 * reads go straight to the site's power workers (no node lease is needed to read); a boot device
 * change is carried by the site's conductor (node.boot_device), and its outcome comes back as a
 * `boot_device_changed` node event.
 */
export class BmcCalls {
  private readonly requester: Requester<BmcReply>;

  constructor(
    private readonly db: Db,
    private readonly bus: Bus,
    private readonly timeoutMs: number,
  ) {
    this.requester = new Requester<BmcReply>(bus, `api-${hostname()}-${randomUUID().slice(0, 8)}`);
  }

  /**
   * Refuses a request no one would carry out: the node's site has no live conductor (Ironic's
   * NoValidHost, a 400 at these endpoints).
   */
  async checkSiteServed(node: NodeRow): Promise<void> {
    const since = new Date(Date.now() - CONDUCTOR_HEARTBEAT_TIMEOUT_MS);
    const [live] = await this.db
      .select({ id: conductors.id })
      .from(conductors)
      .where(
        and(
          eq(conductors.service, 'conductor'),
          eq(conductors.conductorGroup, node.conductorGroup),
          gt(conductors.heartbeatAt, since),
        ),
      )
      .limit(1);
    if (!live) {
      throw badRequest(
        `No valid host was found. Reason: No conductor service registered which supports driver ${node.driver} for conductor group "${node.conductorGroup}".`,
      );
    }
  }

  /** The boot override the node's BMC reports now. */
  async bootDevice(node: NodeRow, requestId: string): Promise<BootDeviceAnswer> {
    const answer = await this.ask(
      node,
      requestId,
      { type: 'bmc.get_boot_device', payload: {} },
      `the boot device of node ${node.uuid} is unknown`,
    );
    return { boot_device: answer.boot_device ?? null, persistent: answer.persistent ?? null };
  }

  /** The virtual media slots the node's BMC offers and what is inserted in each. */
  async virtualMedia(node: NodeRow, requestId: string): Promise<VirtualMediaSlot[]> {
    const answer = await this.ask(
      node,
      requestId,
      { type: 'bmc.get_vmedia', payload: {} },
      `the virtual media of node ${node.uuid} are unknown`,
    );
    return answer.virtual_media ?? [];
  }

  /**
   * Injects an NMI through the site's power workers and waits for the BMC's answer, as Ironic's
   * inject_nmi waits for its conductor. A command nobody started in time expires unsent, so a late
   * worker never interrupts the server long after the client gave up.
   */
  async injectNmi(node: NodeRow, requestId: string): Promise<void> {
    await this.ask(
      node,
      requestId,
      { type: 'bmc.inject_nmi', payload: {} },
      `whether node ${node.uuid} received the NMI is unknown`,
    );
  }

  /** Asks the site's power workers directly and answers the BMC's reply, or its failure as an ApiError. */
  private async ask(
    node: NodeRow,
    requestId: string,
    command: Pick<BmcCommand, 'type' | 'payload'>,
    unknownWhenSilent: string,
  ): Promise<Extract<BmcReply, { ok: true }>> {
    await this.checkSiteServed(node);
    const site = node.conductorGroup || 'default';
    const answer = await this.requester.request(
      this.bus.subjects.power(node.conductorGroup),
      { site: node.conductorGroup, node_uuid: node.uuid, request_id: requestId },
      command,
      this.timeoutMs,
      () =>
        new ApiError(
          503,
          `No power worker of site "${site}" answered within ${Math.round(this.timeoutMs / 1000)} s; ${unknownWhenSilent}.`,
        ),
    );
    if (!answer.ok) throw bmcFailure(answer.error.kind, answer.error.message);
    return answer;
  }

  /**
   * Waits for the outcome of the boot device command `requestId` on the node: subscribe first
   * (`start` queues the command), then resolve with the event, or undefined after the timeout.
   */
  async bootDeviceOutcome(
    node: NodeRow,
    requestId: string,
    start: () => Promise<void>,
  ): Promise<BootDeviceChanged | undefined> {
    let resolve!: (event: BootDeviceChanged | undefined) => void;
    const outcome = new Promise<BootDeviceChanged | undefined>((r) => (resolve = r));
    const sub = this.bus.subscribeCore(
      this.bus.subjects.nodeEvent(node.uuid, 'management'),
      (data) => {
        const event = data as BootDeviceChanged;
        if (event?.type === 'boot_device_changed' && event.request_id === requestId) resolve(event);
      },
    );
    const timer = setTimeout(() => resolve(undefined), this.timeoutMs);
    try {
      await this.checkSiteServed(node);
      await this.bus.nc.flush();
      await start();
      return await outcome;
    } finally {
      clearTimeout(timer);
      sub.unsubscribe();
    }
  }

  close(): void {
    this.requester.close();
  }
}

/**
 * A BMC refusal as the API answers it: a device or setting the BMC does not support is the
 * client's to fix (400); anything else is the BMC's or the network's (500), with its reason.
 */
export function bmcFailure(kind: string, message: string): ApiError {
  return new ApiError(kind === 'unsupported' || kind === 'invalid_config' ? 400 : 500, message);
}
