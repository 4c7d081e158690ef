import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet, type LabServer } from '../../../lab/src/index.js';
import { BmcError, loadHardware, type HardwareType } from '../src/index.js';

const NODE = '1b2c3d4e-5f60-4a1b-8c2d-3e4f5a6b7c8d';

/** The ipmitool driver against the lab's IPMI endpoints (pyghmi), which act on the lab machine. */
describe('ipmi hardware type (ipmitool) on the lab', () => {
  let fleet: Fleet;
  let server: LabServer;
  const ipmi = (extra: Record<string, unknown> = {}): HardwareType =>
    loadHardware({
      driver: 'ipmi',
      driverInfo: { ...server.ipmiDriverInfo!, ipmi_timeout_ms: 3000, ...extra },
      nodeUuid: NODE,
    });

  beforeAll(async () => {
    fleet = await startFleet({ count: 1, ipmi: true, powerDelayMs: 50 });
    server = fleet.servers[0]!;
  });
  afterAll(async () => {
    await fleet?.stop();
  });

  it('validates, reads and sets power, waiting until the machine has settled', async () => {
    const hw = ipmi();
    expect(await hw.power.validate()).toEqual({
      systemId: `ipmi://127.0.0.1:${server.ipmi!.port}`,
    });
    expect(await hw.power.getPowerState()).toBe('power off');
    expect(await hw.power.setPowerState('power on')).toBe('power on');
    expect(server.bmc.state.power).toBe('On');
    const events: string[] = [];
    server.bmc.on('power', (change) => events.push(change.to));
    expect(await hw.power.setPowerState('rebooting')).toBe('power on');
    expect(events).toEqual(['Off', 'On']);
    expect(await hw.power.setPowerState('power off')).toBe('power off');
    expect(server.bmc.state.power).toBe('Off');
  });

  it('sets a one-time or persistent boot device, in UEFI when asked, and reads it back', async () => {
    const hw = ipmi();
    await hw.management.setBootDevice('pxe', { persistent: false, bootMode: 'uefi' });
    expect(server.bmc.state.boot).toMatchObject({ target: 'Pxe', enabled: 'Once', mode: 'UEFI' });
    expect(await hw.management.getBootDevice()).toEqual({ device: 'pxe', persistent: false });
    await hw.management.setBootDevice('disk', { persistent: true });
    expect(server.bmc.state.boot).toMatchObject({ target: 'Hdd', enabled: 'Continuous' });
    expect(await hw.management.getBootDevice()).toEqual({ device: 'disk', persistent: true });
  });

  it('reports a boot device the BMC refuses instead of taking ipmitool exit 0 for success', async () => {
    await expect(
      ipmi().management.setBootDevice('safe', { persistent: false }),
    ).rejects.toMatchObject({ kind: 'protocol', message: expect.stringMatching(/refused/) });
  });

  it('names a wrong password an authentication failure, and never shows it', async () => {
    const secret = 'wrong-Pw-41c2-x'; // IPMI 2.0 passwords have at most 20 bytes
    const error = await ipmi({ ipmi_password: secret })
      .power.getPowerState()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BmcError);
    expect(error).toMatchObject({ kind: 'auth' });
    expect((error as Error).message).toMatch(/refused the credentials for user admin/);
    expect((error as Error).message).not.toContain(secret);
  });

  it('gives up on a BMC that does not answer once its timeout has passed', async () => {
    const started = Date.now();
    const error = await ipmi({ ipmi_port: 9, ipmi_timeout_ms: 2000 })
      .power.getPowerState()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'timeout' });
    expect((error as Error).message).toMatch(
      /BMC at 127\.0\.0\.1:9 did not answer 'power status' over IPMI within 2000 ms/,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('refuses a password IPMI cannot carry (over 20 bytes) before calling the BMC', () => {
    expect(() => ipmi({ ipmi_password: 'x'.repeat(21) })).toThrow(
      /ipmi_password must be at most 20 bytes/,
    );
  });
});
