// Ingot's redfish driver against the lab's light BMC host (many systems behind one port), as the
// power worker drives it for the power sync bench: every system is a node of its own.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { LightBmcHost, describeServer } from '../../../lab/src/index.js';
import { closeDriverConnections, loadHardware, type HardwareType } from '../src/index.js';

const hosts: LightBmcHost[] = [];
const loaded: HardwareType[] = [];
afterEach(async () => {
  await Promise.all(loaded.splice(0).map((hardware) => hardware.close()));
  await Promise.all(hosts.splice(0).map((host) => host.stop()));
});
afterAll(closeDriverConnections);

async function startHost(count: number): Promise<LightBmcHost> {
  const host = await LightBmcHost.start({ count });
  hosts.push(host);
  return host;
}

/** The driver of system `index`, with the default 'auto' authentication (a session). */
function nodeOf(host: LightBmcHost, index: number): HardwareType {
  const hardware = loadHardware({
    driver: 'redfish',
    driverInfo: host.driverInfo(index),
    nodeUuid: `node-${index}`,
  });
  loaded.push(hardware);
  return hardware;
}

describe('redfish driver on a light BMC host', () => {
  it('verifies, powers on and off, and reads the power of each system on its own', async () => {
    const host = await startHost(50);
    const first = nodeOf(host, 0);
    const last = nodeOf(host, 49);
    expect(await first.power.validate()).toEqual({ systemId: '/redfish/v1/Systems/1' });
    expect(await last.power.validate()).toEqual({ systemId: '/redfish/v1/Systems/50' });
    expect(await first.power.setPowerState('power on')).toBe('power on');
    expect(host.stateOf(0).power).toBe('On');
    expect(await last.power.getPowerState()).toBe('power off');
    host.setPower(49, 'On');
    expect(await last.power.getPowerState()).toBe('power on');
    expect(await first.power.setPowerState('power off')).toBe('power off');
    expect(host.stateOf(0).power).toBe('Off');
    // One session per node, as the power worker keeps one driver per node.
    expect(host.sessionCount).toBe(2);
  });

  it('sets the boot device, inserts and ejects virtual media, and sets secure boot', async () => {
    const host = await startHost(3);
    const { management } = nodeOf(host, 1);
    await management.setBootDevice('cdrom', { persistent: false, bootMode: 'uefi' });
    expect(host.stateOf(1).boot).toEqual({ enabled: 'Once', target: 'Cd', mode: 'UEFI' });
    expect(await management.getBootDevice()).toEqual({ device: 'cdrom', persistent: false });
    await management.insertVirtualMedia('http://127.0.0.1:9/agent.iso', 'cd');
    expect(host.stateOf(1).media.Cd).toMatchObject({ inserted: true });
    await management.ejectVirtualMedia('cd');
    expect(host.stateOf(1).media.Cd.inserted).toBe(false);
    expect(await management.setSecureBootState(true)).toMatchObject({ enabled: true });
    expect(host.stateOf(1).secureBoot).toBe(true);
    expect(host.stateOf(0)).toMatchObject({ secureBoot: false, boot: { enabled: 'Disabled' } });
  });

  it('reads an inventory out of band', async () => {
    const host = await startHost(2);
    const inventory = await nodeOf(host, 1).inspect!.inventory();
    const server = describeServer(1);
    expect(inventory).toMatchObject({
      cpus: server.profile.cpus,
      memory_mb: server.profile.memory_mb,
      nics: server.macs.map((mac, i) => ({ name: `NIC${i + 1}`, mac })),
    });
  });
});
