import {
  ensureAgentRamdisk,
  Installation,
  startFleet,
  VM_MACHINE_FACING_HOST,
  vmInstallationEnv,
  vmPxeBootfile,
  VmHost,
  type Fleet,
  type FleetOptions,
} from '@ingot/lab';

export interface VmLab {
  system: Installation;
  fleet: Fleet;
  hosts: VmHost[];
  /** The last lines of every VM's console and of the services, for a failed test. */
  diagnosis(): Promise<string>;
  stop(): Promise<void>;
}

/** Size of the VMs the tests boot: small, so that a TCG lab on two cores stays quick. */
export const TEST_VM = { cpus: 2, memoryMb: 1536, diskBytes: 4 * 1024 ** 3 };

/**
 * An installation whose machines are QEMU VMs: the services reached by the guests at 10.0.2.100,
 * the agent ramdisk configured for virtual media and iPXE, one VM per lab server.
 */
export async function startVmLab(
  count: number,
  fleetOptions: Partial<FleetOptions> = {},
  env: Record<string, string> = {},
  /** More ports of this machine the guests reach at 10.0.2.100 (e.g. an image origin). */
  extraPorts: number[] = [],
  /** The VMs' size, over TEST_VM (e.g. two disks for software RAID). */
  vm: { cpus?: number; memoryMb?: number; diskBytes?: number; disks?: number } = {},
): Promise<VmLab> {
  const ramdisk = await ensureAgentRamdisk();
  const fleet = await startFleet({ count, powerDelayMs: 100, ...fleetOptions });
  const system = await Installation.start(
    {
      ...vmInstallationEnv(ramdisk),
      INGOT_AGENT_HEARTBEAT_TIMEOUT_S: '60',
      LOG_LEVEL: 'info',
      ...env,
    },
    { machineFacingHost: VM_MACHINE_FACING_HOST },
  ).catch(async (error) => {
    await fleet.stop();
    throw error;
  });
  const cachePort = await system.servicePort('imagecache');
  const hosts = await Promise.all(
    fleet.servers.map((server) =>
      VmHost.create(server, {
        workDir: system.workDir,
        servicePorts: [system.apiPort, cachePort, ...extraPorts],
        pxeBootfile: vmPxeBootfile(cachePort),
        ...TEST_VM,
        ...vm,
      }),
    ),
  );
  return {
    system,
    fleet,
    hosts,
    async diagnosis() {
      const consoles = await Promise.all(hosts.map((h) => h.diagnosis(80)));
      return `${consoles.join('\n')}\n--- services ---\n${system.logs().slice(-4000)}`;
    },
    async stop() {
      await Promise.all(hosts.map((h) => h.stop()));
      await system.stop();
      await fleet.stop();
    },
  };
}

/**
 * Waits until the node rests in `state`; fails at once when it lands in a failed state instead
 * (a VM phase takes minutes: a failure should not wait out the timeout).
 */
export async function waitForVmNode(
  system: Installation,
  uuid: string,
  state: string,
  timeoutMs: number,
): Promise<Record<string, any>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await system.api('GET', `/v1/nodes/${uuid}`);
    const node = res.body as Record<string, any>;
    if (node.provision_state === state && node.target_provision_state === null) return node;
    if (String(node.provision_state).endsWith('failed') && node.reservation === null)
      throw new Error(
        `node ${uuid} is in '${node.provision_state}' instead of '${state}': ${node.last_error}`,
      );
    if (Date.now() > deadline)
      throw new Error(
        `node ${uuid} still in '${node.provision_state}' (target '${node.target_provision_state}', power '${node.power_state}') after ${timeoutMs / 1000} s instead of '${state}'`,
      );
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}
