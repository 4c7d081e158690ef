import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Bus } from '@ingot/bus';
import { subjectsFor } from '@ingot/bus';
import type { BmcCommandType, FirmwareComponent, FirmwareTaskStatus } from '@ingot/contracts';
import {
  createScratchDatabase,
  nodeHistory,
  nodes,
  openDatabase,
  SecretBox,
  type Database,
  type NodeRow,
} from '@ingot/store';
import { createLogger } from '@ingot/telemetry';
import type { BmcCallError } from '../../src/bmc-caller.js';
import { type BmcCaller } from '../../src/bmc-caller.js';
import { conductorConfigFromEnv } from '../../src/config.js';
import type { ConductorContext } from '../../src/context.js';
import type { ImageCaller } from '../../src/image-caller.js';
import { NodeLeases, type LeasedNode } from '../../src/node-lease.js';

export interface Call {
  type: string;
  payload: Record<string, unknown>;
}

/**
 * A BMC as the power workers present it, in memory (the fake power interface's behaviour): power
 * and boot device, virtual media, secure boot, an inventory. Every call is recorded in order.
 */
export class RecordingBmc {
  readonly calls: Call[] = [];
  power: 'power on' | 'power off' = 'power off';
  /** A command type answered with this failure instead (a BMC that cannot). */
  readonly failures = new Map<string, BmcCallError>();
  inventory: unknown = undefined;
  /** What the firmware commands answer: the components, and the state of any task polled. */
  firmware: { components: FirmwareComponent[]; task: FirmwareTaskStatus } = {
    components: [],
    task: { state: 'completed', message: null, reboot_required: false },
  };

  call = async (_node: NodeRow, type: BmcCommandType, payload: Record<string, unknown>) => {
    this.calls.push({ type, payload });
    const failure = this.failures.get(type);
    if (failure) throw failure;
    if (type === 'bmc.set_power') {
      const target = payload.target as string;
      this.power = target === 'power off' || target === 'soft power off' ? 'power off' : 'power on';
      return { command_id: randomUUID(), ok: true as const, power_state: this.power };
    }
    if (type === 'bmc.get_power')
      return { command_id: randomUUID(), ok: true as const, power_state: this.power };
    if (type === 'bmc.inventory')
      return { command_id: randomUUID(), ok: true as const, inventory: this.inventory };
    if (type === 'bmc.firmware_components') {
      const firmware_components = structuredClone(this.firmware.components);
      return { command_id: randomUUID(), ok: true as const, firmware_components };
    }
    if (type === 'bmc.firmware_update') {
      const task = `/redfish/v1/TaskService/Tasks/${this.calls.length}`;
      const firmware_task = { ...payload, task };
      return { command_id: randomUUID(), ok: true as const, firmware_task };
    }
    if (type === 'bmc.firmware_task') {
      const firmware_status = { ...this.firmware.task };
      return { command_id: randomUUID(), ok: true as const, firmware_status };
    }
    return { command_id: randomUUID(), ok: true as const };
  };

  types(): string[] {
    return this.calls.map((c) => c.type);
  }
}

/** The site's image cache as the conductor calls it: boot ISOs, iPXE configs, images. */
export class RecordingImages {
  readonly calls: Call[] = [];

  call = async (node: NodeRow, type: string, payload: Record<string, unknown>) => {
    this.calls.push({ type, payload });
    const url = `http://127.0.0.1:1/${type === 'image.boot_iso' ? `boot/${node.uuid}.iso` : `pxe/${node.uuid}`}`;
    return { command_id: randomUUID(), ok: true as const, url, size: 1, sha256: 'a'.repeat(64) };
  };
}

export interface FakeContext {
  ctx: ConductorContext;
  bmc: RecordingBmc;
  images: RecordingImages;
  database: Database;
  close(): Promise<void>;
  /** A node row in `state` with these columns, as the API would have written it. */
  node(state: string, columns?: Partial<NodeRow>): Promise<string>;
  /** Runs `fn` holding the node's lease, as a handler does. */
  leased<T>(uuid: string, fn: (leased: LeasedNode) => Promise<T>): Promise<T>;
  row(uuid: string): Promise<NodeRow>;
  history(uuid: string): Promise<string[]>;
}

/**
 * A conductor context for one operation under test: a scratch PostgreSQL database (the real store,
 * leases and history), the BMC and image cache replaced by recorders. No bus: what the operation
 * publishes stays in the outbox table.
 */
export async function fakeContext(env: Record<string, string> = {}): Promise<FakeContext> {
  const scratch = await createScratchDatabase('ingot_unit');
  const database = openDatabase(scratch.url, { max: 4 });
  const logger = createLogger('conductor-unit', { level: 'silent' });
  const config = conductorConfigFromEnv({
    DATABASE_URL: scratch.url,
    INGOT_SECRET_KEY: 'unit-test-key-'.padEnd(32, 'x'),
    INGOT_AGENT_API_URL: 'http://127.0.0.1:6385',
    ...env,
  });
  const leases = new NodeLeases({ db: database.db, owner: 'unit', ttlMs: 30_000, logger });
  const bmc = new RecordingBmc();
  const images = new RecordingImages();
  const ctx: ConductorContext = {
    config,
    db: database.db,
    bus: { subjects: subjectsFor(`unit${randomUUID().slice(0, 8)}`) } as unknown as Bus,
    leases,
    bmc: bmc as unknown as BmcCaller,
    images: images as unknown as ImageCaller,
    secrets: new SecretBox('unit-test-secret-'.padEnd(32, 'y')),
    logger,
  };
  return {
    ctx,
    bmc,
    images,
    database,
    async close() {
      await leases.close();
      await database.close();
      await scratch.drop();
    },
    async node(state, columns = {}) {
      const uuid = randomUUID();
      await database.db.insert(nodes).values({
        uuid,
        driver: 'redfish',
        driverInfo: {
          redfish_address: 'http://127.0.0.1:1',
          redfish_system_id: '/redfish/v1/Systems/1',
        },
        provisionState: state as NodeRow['provisionState'],
        ...columns,
      });
      return uuid;
    },
    leased: (uuid, fn) =>
      leases.withNodeLease(uuid, 'unit test', fn, { waitMs: 0 }) as Promise<never>,
    async row(uuid) {
      const [row] = await database.db.select().from(nodes).where(eq(nodes.uuid, uuid));
      return row!;
    },
    async history(uuid) {
      const rows = await database.db
        .select()
        .from(nodeHistory)
        .where(eq(nodeHistory.nodeUuid, uuid))
        .orderBy(nodeHistory.id);
      return rows.map((r) => r.event);
    },
  };
}
