import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { LabServer } from '../fleet.js';
import { SERVICES_GUEST_ADDRESS } from './qemu-command.js';
import type { VmHost } from './vm-host.js';

const run = promisify(execFile);
// lab/src/vm or lab/dist/vm → the repository root.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface AgentRamdisk {
  kernel: string;
  initramfs: string;
}

/**
 * The agent ramdisk VMs boot: INGOT_AGENT_KERNEL / INGOT_AGENT_INITRAMFS when set, else the
 * repository's .ramdisk/ from scripts/build-agent-ramdisk.sh, run every time: it rebuilds only
 * when the agent or its inputs changed (a second when up to date, minutes the first time).
 */
export async function ensureAgentRamdisk(
  log: (line: string) => void = () => undefined,
): Promise<AgentRamdisk> {
  const fromEnv = process.env.INGOT_AGENT_KERNEL ?? process.env.INGOT_AGENT_INITRAMFS;
  const kernel = process.env.INGOT_AGENT_KERNEL ?? join(ROOT, '.ramdisk/agent.kernel');
  const initramfs = process.env.INGOT_AGENT_INITRAMFS ?? join(ROOT, '.ramdisk/agent.initramfs');
  if (!fromEnv) {
    log('agent ramdisk: bash scripts/build-agent-ramdisk.sh (skips when up to date)');
    await run('bash', ['scripts/build-agent-ramdisk.sh'], {
      cwd: ROOT,
      maxBuffer: 64 * 1024 * 1024,
    }).catch((error: Error & { stderr?: string }) => {
      throw new Error(
        `scripts/build-agent-ramdisk.sh failed; run it by hand to see why: ${error.stderr?.slice(-2000) ?? error.message}`,
      );
    });
  }
  await Promise.all([access(kernel), access(initramfs)]).catch(() => {
    throw new Error(
      fromEnv
        ? `the agent ramdisk named by INGOT_AGENT_KERNEL/INGOT_AGENT_INITRAMFS is missing: ${kernel}, ${initramfs}`
        : `scripts/build-agent-ramdisk.sh did not write ${kernel} and ${initramfs}`,
    );
  });
  return { kernel, initramfs };
}

/**
 * Settings of an installation whose machines are the lab's VMs: they boot the agent ramdisk
 * (virtual media and iPXE), and reach the services at 10.0.2.100 (Installation's
 * machineFacingHost does the URLs).
 */
export const vmInstallationEnv = (ramdisk: AgentRamdisk): Record<string, string> => ({
  INGOT_AGENT_KERNEL: ramdisk.kernel,
  INGOT_AGENT_INITRAMFS: ramdisk.initramfs,
});

export const VM_MACHINE_FACING_HOST = SERVICES_GUEST_ADDRESS;

/**
 * The enrollment of a VM as a node: redfish with virtual media (or the given boot interface),
 * the agent told to advertise the port this machine forwards to it, and a port for its NIC.
 */
export function vmNodeFields(
  server: LabServer,
  host: VmHost,
  bootInterface: 'redfish-virtual-media' | 'ipxe' = 'redfish-virtual-media',
  driver: 'redfish' | 'ipmi' = 'redfish',
): Record<string, unknown> {
  const driverInfo = driver === 'ipmi' ? server.ipmiDriverInfo : server.driverInfo;
  if (!driverInfo)
    throw new Error(`${server.name} has no ${driver} BMC (start the fleet with ipmi: true)`);
  return {
    name: server.name,
    driver,
    boot_interface: bootInterface,
    driver_info: {
      ...driverInfo,
      kernel_append_params: `ipa-advertise-host=127.0.0.1 ipa-advertise-port=${host.agentHostPort}`,
    },
  };
}

/** The iPXE boot file DHCP hands the VMs: the image cache's script at 10.0.2.100. */
export const vmPxeBootfile = (cachePort: number): string =>
  `http://${SERVICES_GUEST_ADDRESS}:${cachePort}/ipxe/boot.ipxe`;
