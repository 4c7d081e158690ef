// Ironic's node management endpoints for the boot mode, UEFI secure boot and NMI, driven with the
// real `baremetal` CLI (python-ironicclient) and checked by their effect on the lab BMCs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Installation, startFleet, type Fleet, type LabServer } from '@ingot/lab';
import { runBaremetal, outputOf } from './support/baremetal-cli.js';
import {
  enroll,
  getNode,
  setPower,
  setProvision,
  waitForState,
  historyEventsOf,
  settledNode,
} from './support/nodes.js';

/** ironicclient 5.x negotiates 1.78 (its maximum): above 1.76, where these endpoints start. */
const API_VERSION = '1.78';

describe('boot mode, secure boot and NMI through the baremetal CLI, as the lab BMCs see them', () => {
  let system: Installation;
  let fleet: Fleet;
  let redfish: LabServer;
  let ipmi: LabServer;

  const run = (...args: string[]) =>
    runBaremetal(system.apiUrl, args, {
      apiVersion: API_VERSION,
      settings: { OS_AUTH_TYPE: 'none' },
    });
  /** Runs a command that must succeed. */
  const bm = async (...args: string[]) => {
    return outputOf(args, await run(...args));
  };
  const settled = (ident: string, what: string, accept: (node: Record<string, any>) => boolean) =>
    settledNode(system, ident, what, accept);
  const historyOf = (ident: string) => historyEventsOf(system, ident);

  beforeAll(async () => {
    fleet = await startFleet({ count: 2, powerDelayMs: 50, ipmi: true });
    system = await Installation.start();
    [redfish, ipmi] = fleet.servers as [LabServer, LabServer];
    await enroll(system, redfish);
    await enroll(system, ipmi, { driver: 'ipmi', driver_info: ipmi.ipmiDriverInfo });
    for (const server of [redfish, ipmi]) await setProvision(system, server.name, 'manage');
    for (const server of [redfish, ipmi]) await waitForState(system, server.name, 'manageable');
  }, 120_000);
  afterAll(async () => {
    await system?.stop();
    await fleet?.stop();
  });

  it('`node boot mode set` switches the BMC to Legacy and back to UEFI; boot_mode records what it reports', async () => {
    expect(redfish.bmc.state.boot.mode).toBe('UEFI');
    await bm('node', 'boot', 'mode', 'set', redfish.name, 'bios');
    const bios = await settled(redfish.name, "boot_mode 'bios'", (n) => n.boot_mode === 'bios');
    expect(bios.last_error).toBeNull();
    expect(redfish.bmc.state.boot.mode).toBe('Legacy');
    const states = await system.api('GET', `/v1/nodes/${redfish.name}/states`);
    expect(states.body.boot_mode).toBe('bios');

    await bm('node', 'boot', 'mode', 'set', redfish.name, 'uefi');
    await settled(redfish.name, "boot_mode 'uefi'", (n) => n.boot_mode === 'uefi');
    expect(redfish.bmc.state.boot.mode).toBe('UEFI');
    expect(await historyOf(redfish.name)).toMatch(
      /boot mode 'bios' requested\nboot mode set to 'bios' on the BMC\nboot mode 'uefi' requested\nboot mode set to 'uefi' on the BMC/,
    );
  });

  it('`node secure boot on|off` turns SecureBootEnable on and off; secure_boot records it', async () => {
    expect(redfish.bmc.state.secureBoot).toBe(false);
    await bm('node', 'secure', 'boot', 'on', redfish.name);
    await settled(redfish.name, 'secure_boot on', (n) => n.secure_boot === true);
    expect(redfish.bmc.state.secureBoot).toBe(true);
    expect(await historyOf(redfish.name)).toMatch(
      /UEFI secure boot enabled on the BMC; current boot: on/,
    );

    await bm('node', 'secure', 'boot', 'off', redfish.name);
    const off = await settled(redfish.name, 'secure_boot off', (n) => n.secure_boot === false);
    expect(off.last_error).toBeNull();
    expect(redfish.bmc.state.secureBoot).toBe(false);
  });

  it('secure boot asked in Legacy mode fails into last_error with the reason; the next request clears it', async () => {
    await bm('node', 'boot', 'mode', 'set', redfish.name, 'bios');
    await settled(redfish.name, "boot_mode 'bios'", (n) => n.boot_mode === 'bios');
    await bm('node', 'secure', 'boot', 'on', redfish.name);
    const failed = await settled(redfish.name, 'a last_error', (n) => n.last_error !== null);
    expect(failed.last_error).toMatch(
      /^Failed to change secure_boot state to 'True': BMC at 127\.0\.0\.1:\d+ boots \/redfish\/v1\/Systems\/\S+ in Legacy \(BIOS\) mode: secure boot requires UEFI/,
    );
    expect(failed.secure_boot).toBe(false);
    expect(redfish.bmc.state.secureBoot).toBe(false);

    await bm('node', 'boot', 'mode', 'set', redfish.name, 'uefi');
    expect((await getNode(system, redfish.name)).last_error).toBeNull();
    await settled(redfish.name, "boot_mode 'uefi'", (n) => n.boot_mode === 'uefi');
    expect(redfish.bmc.state.boot.mode).toBe('UEFI');
  });

  it('`node inject nmi` reaches the BMC at once as ComputerSystem.Reset Nmi and changes no power state', async () => {
    const before = redfish.bmc.state.resets.length;
    const power = redfish.bmc.state.power;
    await bm('node', 'inject', 'nmi', redfish.name);
    expect(redfish.bmc.state.resets.slice(before)).toEqual(['Nmi']);
    expect(redfish.bmc.state.power).toBe(power);
  });

  it('refused with 409 while a power change holds the node, and nothing reaches the BMC', async () => {
    // Long enough for the CLI, which takes seconds to start, to ask while the server powers on.
    redfish.bmc.powerDelayMs = 10_000;
    try {
      await setPower(system, redfish.name, 'power on');
      // The CLI retries a 409 (Ironic's NodeLocked) by default; once is enough here.
      const once = ['--max-retries', '0'];
      const answers = await Promise.all([
        run(...once, 'node', 'boot', 'mode', 'set', redfish.name, 'bios'),
        run(...once, 'node', 'secure', 'boot', 'on', redfish.name),
        run(...once, 'node', 'inject', 'nmi', redfish.name),
      ]);
      for (const answer of answers) {
        expect(answer.code).not.toBe(0);
        expect(answer.stderr).toMatch(/\(HTTP 409\)/);
      }
      // Busy with the power change: queued (target_power_state) or carried out (the lease).
      expect(answers[0]!.stderr).toMatch(
        /a change to 'power on' is in progress|is locked by host conductor-/,
      );
      await settled(redfish.name, 'powered on', (n) => n.power_state === 'power on');
    } finally {
      redfish.bmc.powerDelayMs = 50;
    }
    expect(redfish.bmc.state.resets.filter((r) => r === 'Nmi')).toHaveLength(1);
    expect(redfish.bmc.state.boot.mode).toBe('UEFI');
    expect(redfish.bmc.state.secureBoot).toBe(false);
  });

  it('the endpoints do not exist below their microversions (404)', async () => {
    const old = { 'X-OpenStack-Ironic-API-Version': '1.75' };
    const mode = await system.api(
      'PUT',
      `/v1/nodes/${redfish.name}/states/boot_mode`,
      { target: 'bios' },
      old,
    );
    expect(mode.status).toBe(404);
    const secure = await system.api(
      'PUT',
      `/v1/nodes/${redfish.name}/states/secure_boot`,
      { target: true },
      old,
    );
    expect(secure.status).toBe(404);
    const nmi = await runBaremetal(system.apiUrl, ['node', 'inject', 'nmi', redfish.name], {
      apiVersion: '1.28',
      settings: { OS_AUTH_TYPE: 'none' },
    });
    expect(nmi.code).not.toBe(0);
    expect(nmi.stderr).toMatch(/\(HTTP 404\)/);
    expect(redfish.bmc.state.boot.mode).toBe('UEFI');
  });

  it('ipmi: NMI through `chassis power diag`; boot mode and secure boot end in last_error, as Ironic', async () => {
    const before = ipmi.bmc.state.resets.length;
    await bm('node', 'inject', 'nmi', ipmi.name);
    expect(ipmi.bmc.state.resets.slice(before)).toEqual(['Nmi']);

    await bm('node', 'boot', 'mode', 'set', ipmi.name, 'bios');
    const mode = await settled(ipmi.name, 'a last_error', (n) => n.last_error !== null);
    expect(mode.last_error).toMatch(
      /^Failed to change boot mode to 'bios': Driver ipmi does not support set_boot_mode \(disabled or not implemented\)/,
    );
    expect(ipmi.bmc.state.boot.mode).toBe('UEFI');

    await bm('node', 'secure', 'boot', 'on', ipmi.name);
    const secure = await settled(
      ipmi.name,
      'a secure boot last_error',
      (n) => n.last_error?.includes('secure_boot') === true,
    );
    expect(secure.last_error).toMatch(
      /^Failed to change secure_boot state to 'True': secure boot is not supported by the ipmi hardware type/,
    );
    expect(secure.secure_boot).toBeNull();
    expect(ipmi.bmc.state.secureBoot).toBe(false);
  });

  it('fake-hardware: NMI refused as by Ironic fake management; boot mode unsupported; secure boot recorded', async () => {
    await bm('node', 'create', '--driver', 'fake-hardware', '--name', 'fake-settings');
    const nmi = await run('node', 'inject', 'nmi', 'fake-settings');
    expect(nmi.code).not.toBe(0);
    expect(nmi.stderr).toContain(
      'Driver fake-hardware does not support inject_nmi (disabled or not implemented). (HTTP 400)',
    );

    await bm('node', 'boot', 'mode', 'set', 'fake-settings', 'uefi');
    const mode = await settled('fake-settings', 'a last_error', (n) => n.last_error !== null);
    expect(mode.last_error).toBe(
      "Failed to change boot mode to 'uefi': Driver fake-hardware does not support set_boot_mode (disabled or not implemented).",
    );
    await bm('node', 'secure', 'boot', 'on', 'fake-settings');
    expect(
      await settled('fake-settings', 'secure_boot on', (n) => n.secure_boot === true),
    ).toMatchObject({ last_error: null });
  });
});
