import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stepRunnerOf } from '../src/interfaces/steps.js';
import { StepError } from '../src/operations/fail.js';
import { fakeContext, type FakeContext } from './support/fake-context.js';

const target = {
  logical_disks: [
    { size_gb: 'MAX', raid_level: '1', controller: 'software', is_root_volume: true },
    { size_gb: 10, raid_level: '0', controller: 'software' },
  ],
};

describe("the agent raid interface (Ironic's AgentRAID)", () => {
  let fake: FakeContext;
  beforeAll(async () => {
    fake = await fakeContext();
  });
  afterAll(async () => fake?.close());

  it('raid_interface picks who runs a raid step: the agent, the BMC, or nobody', () => {
    const step = { interface: 'raid', step: 'create_configuration' };
    expect(stepRunnerOf({ driver: 'redfish', raidInterface: 'agent' }, step).kind).toBe('agent');
    expect(stepRunnerOf({ driver: 'ipmi', raidInterface: 'agent' }, step).kind).toBe('agent');
    expect(stepRunnerOf({ driver: 'redfish' }, step).kind).toBe('conductor');
    expect(() => stepRunnerOf({ driver: 'redfish', raidInterface: 'no-raid' }, step)).toThrow(
      /raid step 'create_configuration' is not supported by the node's raid_interface 'no-raid'/,
    );
    expect(() => stepRunnerOf({ driver: 'ipmi' }, step)).toThrow(/raid_interface 'no-raid'/);
  });

  it('create_configuration sends the target filtered by its arguments and records the result', async () => {
    const uuid = await fake.node('clean wait', {
      raidInterface: 'agent',
      targetRaidConfig: target,
      properties: { capabilities: 'boot_mode:uefi' },
      driverInternalInfo: { steps: { operation: 'clean', list: [], index: 0 } },
    });
    const runner = stepRunnerOf(
      { driver: 'redfish', raidInterface: 'agent' },
      { interface: 'raid', step: 'create_configuration' },
    );
    if (runner.kind !== 'agent' || !runner.step) throw new Error('not an agent step');
    const agentStep = runner.step;
    await fake.leased(uuid, async (leased) => {
      expect(agentStep.nodeFields!(leased, { create_nonroot_volumes: false })).toEqual({
        target_raid_config: { logical_disks: [target.logical_disks[0]] },
      });
      expect(() => agentStep.nodeFields!(leased, { create_root_volume: 'maybe' })).toThrow(
        StepError,
      );
      await expect(agentStep.finished!(fake.ctx, leased, { clean_result: {} })).rejects.toThrow(
        /Agent ramdisk didn't return a proper command result while building RAID/,
      );
      await agentStep.finished!(fake.ctx, leased, { clean_result: target });
    });
    const row = await fake.row(uuid);
    expect(row.raidConfig).toMatchObject(target);
    expect(row.raidConfig).toHaveProperty('last_updated');
    expect(row.properties.capabilities).toBe('boot_mode:uefi,raid_level:1');
    // size_gb MAX leaves local_gb as it was (Ironic's update_raid_info).
    expect(row.properties).not.toHaveProperty('local_gb');
  });

  it('delete_configuration empties raid_config and drops the root device hint', async () => {
    const uuid = await fake.node('clean wait', {
      raidInterface: 'agent',
      raidConfig: target,
      properties: { root_device: { name: '/dev/md0' }, cpus: 2 },
    });
    const runner = stepRunnerOf(
      { driver: 'redfish', raidInterface: 'agent' },
      { interface: 'raid', step: 'delete_configuration' },
    );
    if (runner.kind !== 'agent' || !runner.step) throw new Error('not an agent step');
    const agentStep = runner.step;
    await fake.leased(uuid, (leased) =>
      agentStep.finished!(fake.ctx, leased, { clean_result: { deleted_raid_devices: [] } }),
    );
    const row = await fake.row(uuid);
    expect(row.raidConfig).toEqual({});
    expect(row.properties).toEqual({ cpus: 2 });
  });

  it('records what a servicing built: the agent answers service_result there', async () => {
    const uuid = await fake.node('service wait', {
      raidInterface: 'agent',
      targetRaidConfig: target,
      properties: {},
    });
    const runner = stepRunnerOf(
      { driver: 'redfish', raidInterface: 'agent' },
      { interface: 'raid', step: 'create_configuration' },
    );
    if (runner.kind !== 'agent' || !runner.step) throw new Error('not an agent step');
    const agentStep = runner.step;
    await fake.leased(uuid, (leased) =>
      agentStep.finished!(fake.ctx, leased, { service_result: target }),
    );
    expect((await fake.row(uuid)).raidConfig).toMatchObject(target);
  });
});
