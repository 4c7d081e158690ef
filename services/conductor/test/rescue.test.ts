import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HARDWARE_TYPES, implementationsOf } from '@ingot/contracts';
import { agentTokenColumns, newAgentToken } from '@ingot/store';
import { RESCUE_INTERFACES } from '../src/interfaces/rescue.js';
import { advanceWithAgent } from '../src/operations/agent-wait.js';
import { failOperation } from '../src/operations/fail.js';
import { OPERATIONS } from '../src/operations/index.js';
import { fakeContext, type FakeContext } from './support/fake-context.js';

const HASH = '$6$abcdefghijklmnop$' + 'x'.repeat(86);

/** An agent's command API that answers every command with `status` and records what it got. */
async function stubAgent(status: 'SUCCEEDED' | 'FAILED') {
  const received: { name: string; params: Record<string, unknown> }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const command = JSON.parse(body) as (typeof received)[number];
      received.push(command);
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          id: 'c1',
          command_name: command.name.split('.')[1],
          command_status: status,
          command_error:
            status === 'FAILED' ? { message: 'disk full', details: 'disk full' } : null,
          command_result: null,
        }),
      );
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, received, close: () => new Promise((resolve) => server.close(resolve)) };
}

describe('rescue in the conductor (scratch database, recording BMC)', () => {
  let fake: FakeContext;
  beforeAll(async () => {
    fake = await fakeContext();
  });
  afterAll(async () => fake?.close());

  /** A node of the rescue wait whose agent heartbeated from `url`. */
  const waitingFor = (url: string) =>
    fake.node('rescue wait', {
      targetProvisionState: 'rescue',
      powerState: 'power on',
      agentUrl: url,
      instanceInfo: { image_source: 'http://x/i.qcow2', hashed_rescue_password: HASH },
      ...agentTokenColumns(fake.ctx.secrets, newAgentToken()),
    });

  it('every rescue implementation a hardware type offers is registered', () => {
    for (const spec of Object.values(HARDWARE_TYPES))
      for (const name of implementationsOf(spec, 'rescue'))
        expect(Object.keys(RESCUE_INTERFACES), `${spec.name} rescue_interface ${name}`).toContain(
          name,
        );
  });

  it('rescuing with the agent: the instance powered off, the ramdisk booted for rescue, then rescue wait', async () => {
    const uuid = await fake.node('rescuing', {
      targetProvisionState: 'rescue',
      powerState: 'power on',
      instanceInfo: { hashed_rescue_password: HASH },
    });
    fake.bmc.calls.length = 0;
    await fake.leased(uuid, (leased) => OPERATIONS.rescuing!(fake.ctx, leased));
    expect(fake.bmc.types()).toEqual([
      'bmc.set_power',
      'bmc.insert_media',
      'bmc.set_boot_device',
      'bmc.get_power',
      'bmc.set_power',
    ]);
    expect(fake.bmc.calls[0]!.payload).toEqual({ target: 'power off' });
    const row = await fake.row(uuid);
    expect(row.provisionState).toBe('rescue wait');
    expect(row.deadlineAt).not.toBeNull();
    expect((row.driverInternalInfo as Record<string, any>).ramdisk_boot.purpose).toBe('rescue');
  });

  it('rescuing without a password hash fails the rescue saying what is missing', async () => {
    const uuid = await fake.node('rescuing', { targetProvisionState: 'rescue' });
    await fake.leased(uuid, (leased) => OPERATIONS.rescuing!(fake.ctx, leased));
    const row = await fake.row(uuid);
    expect(row.provisionState).toBe('rescue failed');
    expect(row.lastError).toMatch(/instance_info\.hashed_rescue_password/);
  });

  it('at the heartbeat the agent gets the hash; the node is in rescue, on, its agent and password forgotten', async () => {
    const agent = await stubAgent('SUCCEEDED');
    try {
      const uuid = await waitingFor(agent.url);
      fake.bmc.calls.length = 0;
      await fake.leased(uuid, (leased) => advanceWithAgent(fake.ctx, leased));
      expect(agent.received).toEqual([
        { name: 'rescue.finalize_rescue', params: { rescue_password: HASH, hashed: true } },
      ]);
      const row = await fake.row(uuid);
      expect(row).toMatchObject({
        provisionState: 'rescue',
        targetProvisionState: null,
        powerState: 'power on',
        agentUrl: null,
        agentTokenHash: null,
        wakeAt: null,
        lastError: null,
      });
      expect(row.instanceInfo).toEqual({ image_source: 'http://x/i.qcow2' });
      // The ISO ejected, the server left on for the rescue user.
      expect(fake.bmc.types()).toEqual(['bmc.eject_media']);
    } finally {
      await agent.close();
    }
  });

  it('an agent that cannot set the password fails the rescue: powered off, password forgotten', async () => {
    const agent = await stubAgent('FAILED');
    try {
      const uuid = await waitingFor(agent.url);
      await fake.leased(uuid, (leased) => advanceWithAgent(fake.ctx, leased));
      const row = await fake.row(uuid);
      expect(row.provisionState).toBe('rescue failed');
      expect(row.lastError).toMatch(/rescue\.finalize_rescue FAILED: disk full/);
      expect(row.powerState).toBe('power off');
      expect(row.instanceInfo).not.toHaveProperty('hashed_rescue_password');
    } finally {
      await agent.close();
    }
  });

  it('an abort in rescue wait forgets the password too', async () => {
    const uuid = await waitingFor('http://127.0.0.1:9');
    await fake.leased(uuid, (leased) =>
      failOperation(fake.ctx, leased, "Aborted on request while 'rescue wait'", { event: 'abort' }),
    );
    const row = await fake.row(uuid);
    expect(row.provisionState).toBe('rescue failed');
    expect(row.instanceInfo).not.toHaveProperty('hashed_rescue_password');
  });

  it('unrescuing with the agent: ramdisk torn down, the instance booted from its disk, active', async () => {
    const uuid = await fake.node('unrescuing', {
      targetProvisionState: 'active',
      powerState: 'power on',
      instanceInfo: { image_source: 'http://x/i.qcow2' },
    });
    fake.bmc.calls.length = 0;
    await fake.leased(uuid, (leased) => OPERATIONS.unrescuing!(fake.ctx, leased));
    expect(fake.bmc.calls).toEqual([
      { type: 'bmc.set_power', payload: { target: 'power off' } },
      { type: 'bmc.eject_media', payload: { device: 'cd' } },
      { type: 'bmc.set_boot_device', payload: { device: 'disk', persistent: true } },
      { type: 'bmc.set_power', payload: { target: 'power on' } },
    ]);
    const row = await fake.row(uuid);
    expect(row).toMatchObject({ provisionState: 'active', powerState: 'power on' });
  });

  it('fake-hardware: rescue and unrescue finish at once, nothing booted', async () => {
    const uuid = await fake.node('rescuing', {
      driver: 'fake-hardware',
      targetProvisionState: 'rescue',
      instanceInfo: { hashed_rescue_password: HASH },
    });
    fake.bmc.calls.length = 0;
    await fake.leased(uuid, (leased) => OPERATIONS.rescuing!(fake.ctx, leased));
    let row = await fake.row(uuid);
    expect(row.provisionState).toBe('rescue');
    expect(row.instanceInfo).toEqual({});
    const back = await fake.node('unrescuing', {
      driver: 'fake-hardware',
      targetProvisionState: 'active',
    });
    await fake.leased(back, (leased) => OPERATIONS.unrescuing!(fake.ctx, leased));
    row = await fake.row(back);
    expect(row.provisionState).toBe('active');
    expect(fake.bmc.calls).toEqual([]);
  });
});
