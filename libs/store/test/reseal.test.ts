import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  agentTokenColumns,
  createScratchDatabase,
  nodes,
  openAgentToken,
  openDatabase,
  openDriverInfo,
  resealSecrets,
  sealDriverInfo,
  SecretBox,
  secretBoxFromEnv,
  type Database,
} from '../src/index.js';

const OLD = 'the-old-key-of-this-site';
const NEW = 'the-new-key-of-this-site';

let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
let database: Database;

beforeAll(async () => {
  scratch = await createScratchDatabase();
  database = openDatabase(scratch.url);
});
afterAll(async () => {
  await database?.close();
  await scratch?.drop();
});

describe('secret key rotation', () => {
  it('the newest key seals; previous keys given as INGOT_SECRET_KEY_PREVIOUS* still open', () => {
    const old = new SecretBox(OLD);
    const sealedBefore = old.seal('bmc password');
    const rotated = secretBoxFromEnv({
      INGOT_SECRET_KEY: NEW,
      INGOT_SECRET_KEY_PREVIOUS: OLD,
      INGOT_SECRET_KEY_PREVIOUS_2: 'an-even-older-key-here',
    });
    expect(rotated.keyId).toBe(new SecretBox(NEW).keyId);
    expect(rotated.open(sealedBefore)).toBe('bmc password');
    const sealedAfter = rotated.seal('bmc password');
    expect(sealedAfter.split(':')[1]).toBe(rotated.keyId);
    expect(() => old.open(sealedAfter)).toThrow(/sealed with key .* neither INGOT_SECRET_KEY/);
    expect(() =>
      secretBoxFromEnv({ INGOT_SECRET_KEY: NEW, INGOT_SECRET_KEY_PREVIOUS: 'short' }),
    ).toThrow(/INGOT_SECRET_KEY_PREVIOUS must be at least 16/);
  });

  it('secrets:reseal seals every value of a previous key again, after which the old key can go', async () => {
    const old = new SecretBox(OLD);
    const rotated = new SecretBox(NEW, [OLD]);
    const sealed = sealDriverInfo(old, {
      redfish_address: 'https://bmc',
      redfish_password: 'pw-1',
    });
    const oldNode = randomUUID();
    const newNode = randomUUID();
    await database.db.insert(nodes).values([
      {
        uuid: oldNode,
        driver: 'redfish',
        driverInfo: sealed.driverInfo,
        driverSecrets: sealed.driverSecrets,
        ...agentTokenColumns(old, 'token-of-the-agent'),
      },
      {
        uuid: newNode,
        driver: 'redfish',
        ...sealDriverInfo(rotated, { redfish_password: 'pw-2' }),
      },
    ]);

    const report = await resealSecrets(database.db, rotated);
    expect(report).toEqual({ resealed: { driver_secrets: 1, agent_token_sealed: 1 }, skipped: 0 });
    // Nothing left for the old key: the new key alone opens every value.
    expect(await resealSecrets(database.db, rotated)).toEqual({
      resealed: { driver_secrets: 0, agent_token_sealed: 0 },
      skipped: 0,
    });
    const newOnly = new SecretBox(NEW);
    const rows = await database.db.select().from(nodes);
    const byUuid = new Map(rows.map((row) => [row.uuid, row]));
    const a = byUuid.get(oldNode)!;
    expect(openDriverInfo(newOnly, a.driverInfo, a.driverSecrets).redfish_password).toBe('pw-1');
    expect(openAgentToken(newOnly, a)).toBe('token-of-the-agent');
    const b = byUuid.get(newNode)!;
    expect(openDriverInfo(newOnly, b.driverInfo, b.driverSecrets).redfish_password).toBe('pw-2');
  });
});
