import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { subjectsFor } from '@ingot/bus';
import type { InspectionProcessCommand } from '@ingot/contracts';
import { MALFORMED_INVENTORY } from '@ingot/inventory';
import {
  createScratchDatabase,
  nodeInventory,
  nodes,
  openDatabase,
  outbox,
  SecretBox,
  type Database,
} from '@ingot/store';
import { processInventory } from '../src/process-inventory.js';
import { ipaInventory } from '../../../libs/inventory/test/fixtures/ipa-inventory.js';

/**
 * The API refuses malformed data, so the inspector should never be handed any; should it be (a
 * message queued by an older API, a bug), the node still fails with a last_error saying why,
 * instead of waiting out its deadline.
 */
describe('the inspector handed a malformed inventory', () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let database: Database;
  const subjects = subjectsFor('inspector_test');
  const opts = {
    addPorts: 'pxe' as const,
    secrets: new SecretBox('a-test-key-that-is-long-enough'),
  };

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    database = openDatabase(scratch.url);
  });
  afterAll(async () => {
    await database?.close();
    await scratch?.drop();
  });

  const command = (nodeUuid: string, inventory: Record<string, unknown>) =>
    ({
      id: randomUUID(),
      type: 'inspection.process',
      site: '',
      node_uuid: nodeUuid,
      issued_at: new Date().toISOString(),
      payload: { inventory, plugin_data: {} },
    }) as InspectionProcessCommand;

  it('answers the conductor with a failed result naming the fields, and keeps nothing of the data', async () => {
    const uuid = randomUUID();
    await database.db
      .insert(nodes)
      .values({ uuid, driver: 'fake-hardware', provisionState: 'inspect wait' });
    const inventory: any = ipaInventory();
    inventory.cpu.count = 0;
    delete inventory.memory;

    await processInventory(database.db, subjects, command(uuid, inventory), opts);

    const sent = await database.db.select().from(outbox);
    const results = sent.filter((m) => (m.payload as any).node_uuid === uuid);
    expect(results).toHaveLength(1);
    expect(results[0]!.subject).toBe(subjects.conductor(''));
    const payload = results[0]!.payload as any;
    expect(payload.type).toBe('node.inspection_result');
    expect(payload.payload.ok).toBe(false);
    expect(payload.payload.message).toBe(
      `${MALFORMED_INVENTORY}: inventory.memory is required; inventory.cpu.count must be an integer >= 1`,
    );
    const [node] = await database.db.select().from(nodes).where(eq(nodes.uuid, uuid));
    expect(node!.properties).toEqual({});
    expect(
      await database.db.select().from(nodeInventory).where(eq(nodeInventory.nodeUuid, uuid)),
    ).toEqual([]);
  });
});
