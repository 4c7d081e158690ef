import type { OobInventory } from '@ingot/contracts';
import type { InspectInterface } from '../interfaces.js';
import type { RedfishClient } from './client.js';
import { asResource, linkOf, membersOf, stringOf, type Resource } from './resource.js';
import type { SystemLocator } from './system.js';

/** Redfish InstructionSet / ProcessorArchitecture values, as Ironic's cpu_arch names them. */
const ARCH: Record<string, string> = {
  'x86-64': 'x86_64',
  x86: 'x86_64',
  'ARM-A64': 'aarch64',
  ARM: 'aarch64',
  PowerISA: 'ppc64le',
};

const number = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;

/**
 * Ironic's redfish inspect interface: CPUs and memory from the ComputerSystem summaries, the CPU
 * architecture from its Processors, disks from Storage drives (or SimpleStorage devices on older
 * BMCs), NICs from EthernetInterfaces. Nothing is booted.
 */
export class RedfishInspect implements InspectInterface {
  constructor(
    private readonly client: RedfishClient,
    private readonly system: SystemLocator,
  ) {}

  async inventory(): Promise<OobInventory> {
    const system = await this.system.read();
    const arch = await this.cpuArch(system);
    return {
      cpus: number(asResource(system.ProcessorSummary).Count) ?? 0,
      ...(arch ? { cpu_arch: arch } : {}),
      memory_mb: Math.round(
        (number(asResource(system.MemorySummary).TotalSystemMemoryGiB) ?? 0) * 1024,
      ),
      disks: await this.disks(system),
      nics: await this.nics(system),
    };
  }

  private async members(collection: string | undefined): Promise<Resource[]> {
    if (!collection) return [];
    const paths = membersOf(await this.client.get(collection));
    return Promise.all(paths.map((path) => this.client.get(path)));
  }

  private async cpuArch(system: Resource): Promise<string | undefined> {
    for (const cpu of await this.members(linkOf(system.Processors))) {
      const set = stringOf(cpu.InstructionSet) ?? stringOf(cpu.ProcessorArchitecture);
      if (set && ARCH[set]) return ARCH[set];
    }
    return undefined;
  }

  private async disks(system: Resource): Promise<OobInventory['disks']> {
    const storage = await this.members(linkOf(system.Storage));
    if (storage.length > 0) {
      const drives = await Promise.all(
        storage.flatMap((s) =>
          (Array.isArray(s.Drives) ? s.Drives : []).map((d) => {
            const path = linkOf(d);
            return path ? this.client.get(path) : undefined;
          }),
        ),
      );
      return drives
        .filter((d): d is Resource => d !== undefined)
        .map((d) => ({
          name: stringOf(d.Name) ?? stringOf(d.Id) ?? 'disk',
          size_bytes: number(d.CapacityBytes) ?? 0,
        }));
    }
    const simple = await this.members(linkOf(system.SimpleStorage));
    return simple.flatMap((s) =>
      (Array.isArray(s.Devices) ? s.Devices : []).map((device) => {
        const d = asResource(device);
        return { name: stringOf(d.Name) ?? 'disk', size_bytes: number(d.CapacityBytes) ?? 0 };
      }),
    );
  }

  private async nics(system: Resource): Promise<OobInventory['nics']> {
    const nics = await this.members(linkOf(system.EthernetInterfaces));
    return nics.flatMap((nic) => {
      const mac = stringOf(nic.MACAddress) ?? stringOf(nic.PermanentMACAddress);
      return mac
        ? [{ name: stringOf(nic.Id) ?? stringOf(nic.Name) ?? 'nic', mac: mac.toLowerCase() }]
        : [];
    });
  }
}
