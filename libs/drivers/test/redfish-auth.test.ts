import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { closeDriverConnections } from '../src/index.js';
import { bmcError, cleanUp, driverInfoFor, redfish, startBmc } from './lab-bmc.js';

afterEach(cleanUp);
afterAll(closeDriverConnections);

describe('redfish authentication', () => {
  it('opens one session and reuses its token across calls', async () => {
    const bmc = await startBmc();
    const hardware = redfish(driverInfoFor(bmc, { redfish_auth_type: 'session' }));
    await hardware.power.getPowerState();
    await hardware.power.setPowerState('power on');
    await hardware.management.getBootDevice();
    expect(bmc.state.sessions).toBe(1);
  });

  it('logs in again once when the BMC has forgotten the session', async () => {
    const bmc = await startBmc();
    const hardware = redfish(driverInfoFor(bmc, { redfish_auth_type: 'session' }));
    await hardware.power.getPowerState();
    bmc.expireSessions();
    expect(await hardware.power.getPowerState()).toBe('power off');
    expect(bmc.state.sessions).toBe(1);
  });

  it('logs in once for calls that find the session expired together', async () => {
    const bmc = await startBmc();
    const hardware = redfish(driverInfoFor(bmc, { redfish_auth_type: 'session' }));
    await hardware.power.getPowerState();
    bmc.expireSessions();
    const states = await Promise.all([1, 2, 3, 4].map(() => hardware.power.getPowerState()));
    expect(states).toEqual(Array(4).fill('power off'));
    expect(bmc.state.sessions).toBe(1);
  });

  it('closes its session when the hardware type is closed', async () => {
    const bmc = await startBmc();
    const hardware = redfish(driverInfoFor(bmc, { redfish_auth_type: 'session' }));
    await hardware.power.getPowerState();
    await hardware.close();
    expect(bmc.state.sessions).toBe(0);
  });

  it("prefers a session under 'auto', the default", async () => {
    const bmc = await startBmc();
    const hardware = redfish(driverInfoFor(bmc, { redfish_auth_type: undefined }));
    await hardware.power.getPowerState();
    expect(bmc.state.sessions).toBe(1);
  });

  it('works with HTTP basic and opens no session', async () => {
    const bmc = await startBmc();
    const hardware = redfish(driverInfoFor(bmc, { redfish_auth_type: 'basic' }));
    expect(await hardware.power.getPowerState()).toBe('power off');
    expect(bmc.state.sessions).toBe(0);
  });

  it.each(['basic', 'session', 'auto'])(
    'reports a wrong password as kind auth naming the user (%s)',
    async (authType) => {
      const bmc = await startBmc();
      const hardware = redfish(
        driverInfoFor(bmc, { redfish_auth_type: authType, redfish_password: 'wrong' }),
      );
      const error = await bmcError(() => hardware.power.getPowerState(), 'auth');
      expect(error.message).toBe(
        `BMC at 127.0.0.1:${bmc.port} refused the credentials for user admin (HTTP 401)`,
      );
      expect(error.status).toBe(401);
    },
  );

  it('asks for credentials when none are configured', async () => {
    const bmc = await startBmc();
    const hardware = redfish({ redfish_address: bmc.url, redfish_auth_type: 'basic' });
    const error = await bmcError(() => hardware.power.validate(), 'auth');
    expect(error.message).toContain('set redfish_username and redfish_password');
  });
});
