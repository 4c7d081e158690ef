import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { describeServer } from '../../../lab/src/index.js';
import { closeDriverConnections } from '../src/index.js';
import { cleanUp, driverInfoFor, redfish, startBmc } from './lab-bmc.js';

afterEach(cleanUp);
afterAll(closeDriverConnections);

describe('redfish out-of-band inspection', () => {
  it('reads CPUs, architecture, memory, drives and NICs from the BMC', async () => {
    const server = describeServer(1);
    const bmc = await startBmc({ server });
    const inventory = await redfish(driverInfoFor(bmc)).inspect!.inventory();
    expect(inventory).toEqual({
      cpus: server.profile.cpus,
      cpu_arch: 'x86_64',
      memory_mb: server.profile.memory_mb,
      disks: server.profile.disks.map((d) => ({ name: d.name, size_bytes: d.size_bytes })),
      nics: server.macs.map((mac, i) => ({ name: `NIC${i + 1}`, mac })),
    });
  });
});
