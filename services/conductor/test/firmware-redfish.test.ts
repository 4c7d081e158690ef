import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { firmwareComponentsOf } from '@ingot/store';
import { redfishFirmware } from '../src/interfaces/firmware-redfish.js';
import { stepRunnerOf, stepsInterfaceOf } from '../src/interfaces/steps.js';
import type { StepResult } from '../src/interfaces/types.js';
import { fakeContext, type FakeContext } from './support/fake-context.js';

const update = redfishFirmware.steps.find((s) => s.step === 'update')!;

describe('the redfish firmware interface (fake context: scratch database, recording BMC)', () => {
  let fake: FakeContext;
  beforeAll(async () => {
    fake = await fakeContext();
  });
  afterAll(async () => fake?.close());
  beforeEach(() => {
    fake.bmc.calls.length = 0;
    fake.bmc.firmware.components = [
      { component: 'bios', current_version: '2.10.2', updateable: true },
      { component: 'bmc', current_version: '5.10.00', updateable: true },
    ];
    fake.bmc.firmware.task = { state: 'running', message: null, reboot_required: true };
  });

  const versions = async (uuid: string) =>
    Object.fromEntries(
      (await firmwareComponentsOf(fake.ctx.db, uuid)).map((r) => [
        r.component,
        [r.initialVersion, r.currentVersion, r.lastVersionFlashed],
      ]),
    );
  const setVersion = (component: string, version: string) => {
    fake.bmc.firmware.components = fake.bmc.firmware.components.map((c) =>
      c.component === component ? { ...c, current_version: version } : c,
    );
  };

  it('is the redfish hardware type firmware interface, and update is its step', () => {
    expect(stepsInterfaceOf({ driver: 'redfish' }, 'firmware')).toBe(redfishFirmware);
    expect(stepRunnerOf({ driver: 'redfish' }, { interface: 'firmware', step: 'update' })).toEqual({
      kind: 'conductor',
      step: update,
    });
    expect(stepsInterfaceOf({ driver: 'ipmi' }, 'firmware')).toBeUndefined();
  });

  it('caching keeps the first version seen as initial_version', async () => {
    const uuid = await fake.node('verifying');
    await fake.leased(uuid, (leased) => redfishFirmware.cache!(fake.ctx, leased));
    setVersion('bios', '2.10.3');
    await fake.leased(uuid, (leased) => redfishFirmware.cache!(fake.ctx, leased));
    expect(await versions(uuid)).toEqual({
      bios: ['2.10.2', '2.10.3', null],
      bmc: ['5.10.00', '5.10.00', null],
    });
  });

  it('one component at a time: the task waited for, the reboot asked for, the version checked, then the next', async () => {
    const uuid = await fake.node('cleaning');
    const args = {
      settings: [
        { component: 'bios', url: 'http://127.0.0.1:1/bios-2.11.0.bin' },
        { component: 'bmc', url: 'http://127.0.0.1:1/bmc-5.11.0.bin' },
      ],
    };
    const run = () => fake.leased(uuid, (leased) => update.run(fake.ctx, leased, args));
    const resume = (why: 'poll' | 'rebooted', result: StepResult) =>
      fake.leased(uuid, (leased) =>
        update.resume!(fake.ctx, leased, args, {
          why,
          state: (result as { state: Record<string, unknown> }).state,
        }),
      );

    const started = await run();
    expect(started).toMatchObject({ kind: 'wait', state: { index: 0, phase: 'task' } });
    expect(fake.bmc.types().filter((t) => t === 'bmc.firmware_update')).toHaveLength(1);
    expect(fake.bmc.calls.find((c) => c.type === 'bmc.firmware_update')!.payload).toEqual(
      args.settings[0],
    );

    const running = await resume('poll', started);
    expect(running).toMatchObject({ kind: 'wait', state: { index: 0, phase: 'task' } });

    fake.bmc.firmware.task = { state: 'completed', message: null, reboot_required: true };
    const reboot = await resume('poll', running);
    expect(reboot).toMatchObject({ kind: 'reboot', state: { index: 0, phase: 'reboot' } });

    // After the reboot the BIOS runs the new version; the BMC's update starts.
    setVersion('bios', '2.11.0');
    fake.bmc.firmware.task = { state: 'running', message: null, reboot_required: false };
    const second = await resume('rebooted', reboot);
    expect(second).toMatchObject({ kind: 'wait', state: { index: 1, phase: 'task' } });
    expect(fake.bmc.calls.filter((c) => c.type === 'bmc.firmware_update').at(-1)!.payload).toEqual(
      args.settings[1],
    );

    // The BMC's own firmware runs at once: no reboot.
    setVersion('bmc', '5.11.0');
    fake.bmc.firmware.task = { state: 'completed', message: null, reboot_required: false };
    expect(await resume('poll', second)).toEqual({ kind: 'done' });
    expect(await versions(uuid)).toEqual({
      bios: ['2.10.2', '2.11.0', '2.11.0'],
      bmc: ['5.10.00', '5.11.0', '5.11.0'],
    });
  });

  it("a task the BMC failed fails the step with the BMC's message; nothing else is attempted", async () => {
    const uuid = await fake.node('cleaning');
    const args = {
      settings: [
        { component: 'bios', url: 'http://127.0.0.1:1/bios-2.11.0.bin' },
        { component: 'bmc', url: 'http://127.0.0.1:1/bmc-5.11.0.bin' },
      ],
    };
    const started = await fake.leased(uuid, (leased) => update.run(fake.ctx, leased, args));
    fake.bmc.firmware.task = {
      state: 'failed',
      message: 'The flash of System BIOS failed verification.',
      reboot_required: true,
    };
    const state = (started as { state: Record<string, unknown> }).state;
    await expect(
      fake.leased(uuid, (leased) => update.resume!(fake.ctx, leased, args, { why: 'poll', state })),
    ).rejects.toThrow(
      /firmware step update failed: the BMC could not update bios from http:\/\/127\.0\.0\.1:1\/bios-2\.11\.0\.bin: The flash of System BIOS failed verification\./,
    );
    expect(fake.bmc.types().filter((t) => t === 'bmc.firmware_update')).toHaveLength(1);
  });

  it('a version that did not change after the reboot fails the step', async () => {
    const uuid = await fake.node('cleaning');
    const args = { settings: [{ component: 'bios', url: 'http://127.0.0.1:1/bios-2.11.0.bin' }] };
    await expect(
      fake.leased(uuid, (leased) =>
        update.resume!(fake.ctx, leased, args, {
          why: 'rebooted',
          state: { index: 0, phase: 'reboot', before: '2.10.2' },
        }),
      ),
    ).rejects.toThrow(/still reports bios at version 2\.10\.2 after its update/);
  });

  it('a component the BMC does not have, or settings that are not a list, fail before anything is flashed', async () => {
    const uuid = await fake.node('cleaning');
    await expect(
      fake.leased(uuid, (leased) =>
        update.run(fake.ctx, leased, {
          settings: [
            { component: 'bios', url: 'http://127.0.0.1:1/bios-2.11.0.bin' },
            { component: 'nic:NIC9', url: 'http://127.0.0.1:1/nic1-23.0.0.bin' },
          ],
        }),
      ),
    ).rejects.toThrow(/the BMC has no firmware component nic:NIC9 \(it lists bios, bmc\)/);
    await expect(
      fake.leased(uuid, (leased) =>
        update.run(fake.ctx, leased, { settings: { component: 'bios' } }),
      ),
    ).rejects.toThrow(/firmware step update needs 'settings'/);
    await expect(
      fake.leased(uuid, (leased) =>
        update.run(fake.ctx, leased, { settings: [{ component: 'cpld', url: 'http://x/' }] }),
      ),
    ).rejects.toThrow(/firmware step update needs 'settings'/);
    expect(fake.bmc.types()).not.toContain('bmc.firmware_update');
  });

  it('waits the seconds asked for after a component before the next', async () => {
    const uuid = await fake.node('cleaning');
    fake.bmc.firmware.task = { state: 'completed', message: null, reboot_required: false };
    const args = {
      settings: [
        { component: 'bmc', url: 'http://127.0.0.1:1/bmc-5.11.0.bin', wait: 60 },
        { component: 'bios', url: 'http://127.0.0.1:1/bios-2.11.0.bin' },
      ],
    };
    const started = await fake.leased(uuid, (leased) => update.run(fake.ctx, leased, args));
    setVersion('bmc', '5.11.0');
    const state = (started as { state: Record<string, unknown> }).state;
    const waiting = await fake.leased(uuid, (leased) =>
      update.resume!(fake.ctx, leased, args, { why: 'poll', state }),
    );
    expect(waiting).toMatchObject({ kind: 'wait', state: { index: 0, phase: 'wait' } });
    const still = await fake.leased(uuid, (leased) =>
      update.resume!(fake.ctx, leased, args, {
        why: 'poll',
        state: (waiting as { state: Record<string, unknown> }).state,
      }),
    );
    expect(still).toMatchObject({ kind: 'wait', state: { index: 0, phase: 'wait' } });
    const over = await fake.leased(uuid, (leased) =>
      update.resume!(fake.ctx, leased, args, {
        why: 'poll',
        state: { index: 0, phase: 'wait', waitUntil: new Date(Date.now() - 1).toISOString() },
      }),
    );
    expect(over).toMatchObject({ kind: 'wait', state: { index: 1, phase: 'task' } });
  });
});
