import { afterEach, describe, expect, it } from 'vitest';
import { fakeNodeState, loadHardware, resetFakeHardware } from '../src/index.js';

const load = (nodeUuid: string) =>
  loadHardware({ driver: 'fake-hardware', driverInfo: {}, nodeUuid });

afterEach(resetFakeHardware);

describe('fake hardware', () => {
  it('keeps power and boot device per node across loads', async () => {
    const first = load('node-a');
    expect(first.name).toBe('fake-hardware');
    expect(await first.power.validate()).toEqual({ systemId: 'fake:node-a' });
    expect(await first.power.setPowerState('rebooting')).toBe('power on');
    await first.management.setBootDevice('pxe', { persistent: true });

    const again = load('node-a');
    expect(await again.power.getPowerState()).toBe('power on');
    expect(await again.management.getBootDevice()).toEqual({ device: 'pxe', persistent: true });
    expect(await load('node-b').power.getPowerState()).toBe('power off');
  });

  it('records virtual media and soft power off', async () => {
    const hardware = load('node-c');
    await hardware.management.insertVirtualMedia('http://x/boot.iso', 'cd');
    expect(fakeNodeState('node-c')?.media).toEqual({ cd: 'http://x/boot.iso' });
    await hardware.management.ejectVirtualMedia('cd');
    expect(await hardware.power.setPowerState('soft power off')).toBe('power off');
    expect(fakeNodeState('node-c')).toMatchObject({ media: {}, power: 'power off' });
  });
});
