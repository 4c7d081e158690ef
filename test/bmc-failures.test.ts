import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet, Installation, freePort } from '@ingot/lab';
import { enroll, setProvision, waitForState } from './support/nodes.js';

describe('BMC failures during verification', () => {
  let system: Installation;
  let fleet: Fleet;

  beforeAll(async () => {
    fleet = await startFleet({ count: 4 });
    // A short per-request timeout so the wedged BMC fails within the test's patience.
    system = await Installation.start();
  });
  afterAll(async () => {
    await system?.stop();
    await fleet?.stop();
  });

  it('a wrong password, a dead BMC and a wedged BMC each leave their node in enroll with a reason, without delaying the others', async () => {
    const [good, wrongPassword, wedged, alsoGood] = fleet.servers as [any, any, any, any];
    const closedPort = await freePort();
    await wedged.bmc.setFault('hang');

    const goodUuid = await enroll(system, good);
    const alsoGoodUuid = await enroll(system, alsoGood);
    const wrongUuid = await enroll(system, wrongPassword, {
      driver_info: { ...wrongPassword.driverInfo, redfish_password: 'not-the-password' },
    });
    const deadUuid = await enroll(
      system,
      { ...good, name: 'dead-bmc' },
      {
        driver_info: { ...good.driverInfo, redfish_address: `http://127.0.0.1:${closedPort}` },
      },
    );
    const wedgedUuid = await enroll(system, wedged, {
      driver_info: { ...wedged.driverInfo, redfish_timeout_ms: 3000 },
    });

    const started = Date.now();
    for (const uuid of [wedgedUuid, wrongUuid, deadUuid, goodUuid, alsoGoodUuid])
      await setProvision(system, uuid, 'manage');

    await waitForState(system, goodUuid, 'manageable');
    await waitForState(system, alsoGoodUuid, 'manageable');
    // The healthy nodes did not queue behind the wedged BMC's timeout.
    expect(Date.now() - started).toBeLessThan(2500);

    const wrong = await waitForState(system, wrongUuid, 'enroll');
    expect(wrong.last_error).toMatch(/refused the credentials for user admin/);
    expect(wrong.last_error).not.toContain('not-the-password');

    const dead = await waitForState(system, deadUuid, 'enroll');
    expect(dead.last_error).toMatch(
      new RegExp(`127\\.0\\.0\\.1:${closedPort}.*(unreachable|refused)`),
    );

    const hung = await waitForState(system, wedgedUuid, 'enroll', 30_000);
    expect(hung.last_error).toMatch(/did not answer within 3000 ms/);
  });
});
