import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { closeDriverConnections } from '../src/index.js';
import { bmcError, cleanUp, driverInfoFor, redfish, startBmc } from './lab-bmc.js';

afterEach(cleanUp);
afterAll(closeDriverConnections);

describe('redfish power', () => {
  it('validates a node and returns the configured system path', async () => {
    const bmc = await startBmc();
    const hardware = redfish(driverInfoFor(bmc));
    expect(hardware.name).toBe('redfish');
    expect(await hardware.power.validate()).toEqual({ systemId: '/redfish/v1/Systems/1' });
  });

  it('discovers the system from /redfish/v1/Systems when redfish_system_id is absent', async () => {
    const bmc = await startBmc({ systemId: 'System.Embedded.1' });
    const hardware = redfish(driverInfoFor(bmc, { redfish_system_id: undefined }));
    expect(await hardware.power.validate()).toEqual({
      systemId: '/redfish/v1/Systems/System.Embedded.1',
    });
  });

  it('powers on with Reset On and reports power on', async () => {
    const bmc = await startBmc();
    const hardware = redfish(driverInfoFor(bmc));
    expect(await hardware.power.getPowerState()).toBe('power off');
    expect(await hardware.power.setPowerState('power on')).toBe('power on');
    expect(bmc.state.power).toBe('On');
    expect(bmc.state.resets).toEqual(['On']);
    expect(await hardware.power.getPowerState()).toBe('power on');
  });

  it('sends no Reset when the server is already in the target state', async () => {
    const bmc = await startBmc({ power: 'On' });
    const hardware = redfish(driverInfoFor(bmc));
    expect(await hardware.power.setPowerState('power on')).toBe('power on');
    expect(bmc.state.resets).toEqual([]);
  });

  it('powers off hard with ForceOff and softly with GracefulShutdown', async () => {
    const bmc = await startBmc({ power: 'On' });
    const hardware = redfish(driverInfoFor(bmc));
    expect(await hardware.power.setPowerState('power off')).toBe('power off');
    await hardware.power.setPowerState('power on');
    expect(await hardware.power.setPowerState('soft power off')).toBe('power off');
    expect(bmc.state.resets).toEqual(['ForceOff', 'On', 'GracefulShutdown']);
  });

  it('reboots a running server with ForceRestart and waits until it is on again', async () => {
    const bmc = await startBmc({ power: 'On', powerDelayMs: 300 });
    const hardware = redfish(driverInfoFor(bmc));
    const started = performance.now();
    expect(await hardware.power.setPowerState('rebooting')).toBe('power on');
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    expect(bmc.state.resets).toEqual(['ForceRestart']);
    expect(bmc.state.power).toBe('On');
  });

  it('reboots a server that is off by powering it on, and soft-reboots with GracefulRestart', async () => {
    const bmc = await startBmc();
    const hardware = redfish(driverInfoFor(bmc));
    expect(await hardware.power.setPowerState('rebooting')).toBe('power on');
    expect(await hardware.power.setPowerState('soft rebooting')).toBe('power on');
    expect(bmc.state.resets).toEqual(['On', 'GracefulRestart']);
  });

  it('fails with kind timeout when the power state does not settle in time', async () => {
    const bmc = await startBmc({ powerDelayMs: 10_000 });
    const hardware = redfish(driverInfoFor(bmc));
    const error = await bmcError(
      () => hardware.power.setPowerState('power on', { timeoutMs: 400 }),
      'timeout',
    );
    expect(error.message).toMatch(
      /^BMC at 127\.0\.0\.1:\d+ did not report power on within 400 ms after On \(last reported PowerState: Off\)$/,
    );
  });
});
