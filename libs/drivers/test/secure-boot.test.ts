import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { closeDriverConnections, loadHardware, resetFakeHardware } from '../src/index.js';
import { bmcError, cleanUp, driverInfoFor, PASSWORD, redfish, startBmc } from './lab-bmc.js';

afterEach(cleanUp);
afterEach(resetFakeHardware);
afterAll(closeDriverConnections);

/** Reads the lab BMC's SecureBoot resource as any Redfish client would. */
async function secureBootResource(bmc: Awaited<ReturnType<typeof startBmc>>) {
  const auth = `Basic ${Buffer.from(`${bmc.username}:${bmc.password}`).toString('base64')}`;
  const res = await fetch(`${bmc.url}${bmc.systemPath}/SecureBoot`, {
    headers: { authorization: auth },
  });
  return (await res.json()) as Record<string, unknown>;
}

describe('redfish secure boot (the system SecureBoot resource)', () => {
  it('reads it off, turns it on through SecureBootEnable, reads the current boot back, and off again', async () => {
    const bmc = await startBmc();
    const { management } = redfish(driverInfoFor(bmc));
    expect(await management.getSecureBootState()).toEqual({ enabled: false, current_boot: false });

    expect(await management.setSecureBootState(true)).toEqual({
      enabled: true,
      current_boot: true,
    });
    expect(bmc.state.secureBoot).toBe(true);
    expect(await secureBootResource(bmc)).toMatchObject({
      SecureBootEnable: true,
      SecureBootCurrentBoot: 'Enabled',
    });

    expect(await management.setSecureBootState(false)).toEqual({
      enabled: false,
      current_boot: false,
    });
    expect(bmc.state.secureBoot).toBe(false);
  });

  it('sends nothing when the BMC already has the state asked for', async () => {
    const bmc = await startBmc();
    const { management } = redfish(driverInfoFor(bmc));
    await management.setSecureBootState(true);
    const before = bmc.state.requestCount;
    await management.setSecureBootState(true);
    // Two GETs (system, SecureBoot) and no PATCH.
    expect(bmc.state.requestCount - before).toBe(2);
  });

  it('refuses to turn it on while the system boots in Legacy mode, naming the fix', async () => {
    const bmc = await startBmc();
    const { management } = redfish(driverInfoFor(bmc));
    await management.setBootDevice('disk', { persistent: true, bootMode: 'bios' });
    const error = await bmcError(() => management.setSecureBootState(true), 'unsupported');
    expect(error.message).toMatch(/Legacy \(BIOS\) mode: secure boot requires UEFI/);
    expect(error.message).toContain(`127.0.0.1:${bmc.port}`);
    expect(bmc.state.secureBoot).toBe(false);
  });

  it('a BMC without a SecureBoot resource is unsupported, and says which BMC', async () => {
    const bmc = await startBmc({ secureBoot: false });
    const { management } = redfish(driverInfoFor(bmc));
    const error = await bmcError(() => management.getSecureBootState(), 'unsupported');
    expect(error.message).toMatch(/has no SecureBoot resource on \/redfish\/v1\/Systems\/1/);
    expect(error.message).toContain(`127.0.0.1:${bmc.port}`);
    expect(error.message).not.toContain(PASSWORD);
    await bmcError(() => management.setSecureBootState(true), 'unsupported');
  });
});

describe('secure boot of the other hardware types', () => {
  it('ipmi has none: unsupported, saying so and what to do, without calling the BMC', async () => {
    const { management } = loadHardware({
      driver: 'ipmi',
      driverInfo: { ipmi_address: '127.0.0.1', ipmi_port: 9, ipmi_username: 'admin' },
      nodeUuid: 'node-ipmi',
    });
    const error = await bmcError(() => management.setSecureBootState(true), 'unsupported');
    expect(error.message).toMatch(/^secure boot is not supported by the ipmi hardware type/);
    expect(error.message).toMatch(/use the redfish hardware type/);
    await bmcError(() => management.getSecureBootState(), 'unsupported');
  });

  it('fake-hardware records it per node', async () => {
    const load = () =>
      loadHardware({ driver: 'fake-hardware', driverInfo: {}, nodeUuid: 'node-fake' });
    expect(await load().management.setSecureBootState(true)).toEqual({
      enabled: true,
      current_boot: true,
    });
    expect(await load().management.getSecureBootState()).toMatchObject({ enabled: true });
  });
});
