import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vmNodeFields } from '@ingot/lab';
import { addBootPort } from './support/netboot.js';
import { setProvision } from './support/nodes.js';
import { startVmLab, TEST_VM, waitForVmNode, type VmLab } from './support/vm-lab.js';

const PHASE_MS = 420_000;

/**
 * The network boot paths on VMs: QEMU's iPXE ROM gets the image cache's boot script from DHCP
 * and boots the agent ramdisk, driven once by a Redfish BMC and once through the lab's IPMI
 * bridge (ipmitool against the same lab BMC).
 */
describe('iPXE and IPMI on virtual machines', () => {
  let lab: VmLab;

  beforeAll(async () => {
    lab = await startVmLab(2, { ipmi: true });
  }, 600_000);
  afterAll(async () => {
    await lab?.stop();
  });

  const inspectAndClean = async (index: number, driver: 'redfish' | 'ipmi') => {
    const { system, fleet, hosts } = lab;
    const server = fleet.servers[index]!;
    const host = hosts[index]!;
    try {
      const res = await system.api('POST', '/v1/nodes', vmNodeFields(server, host, 'ipxe', driver));
      expect(res.status, res.text).toBe(201);
      const uuid = res.body.uuid as string;
      await addBootPort(system, uuid, server.macs[0]);
      await setProvision(system, uuid, 'manage');
      await waitForVmNode(system, uuid, 'manageable', PHASE_MS);
      await setProvision(system, uuid, 'inspect');
      const node = await waitForVmNode(system, uuid, 'manageable', PHASE_MS);
      expect(node.properties).toMatchObject({ cpus: TEST_VM.cpus, cpu_arch: 'x86_64' });
      await setProvision(system, uuid, 'provide');
      await waitForVmNode(system, uuid, 'available', PHASE_MS);
      const console = await host.consoleText();
      expect(console).toContain('boot from network');
      // The kernel line of the image cache's iPXE script, as the ramdisk's init prints it (under
      // SeaBIOS, the IPMI path's legacy boot, iPXE itself writes to the screen, not the serial port).
      expect(console).toContain('initrd=agent.initrd');
      expect(console).toContain(`ipa-advertise-port=${host.agentHostPort}`);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${await lab.diagnosis()}`);
    }
  };

  it('a VM boots the agent through iPXE (redfish, boot_interface ipxe): inspected and cleaned', async () => {
    await inspectAndClean(0, 'redfish');
  }, 1_200_000);

  it('a VM driven over IPMI (lab IPMI bridge, ipmi hardware type) is inspected and cleaned', async () => {
    await inspectAndClean(1, 'ipmi');
  }, 1_200_000);
});
