import { loadHardware, type HardwareType } from '@ingot/drivers';
import { driverFingerprint, openDriverInfo, type NodeRow, type SecretBox } from '@ingot/store';

interface Entry {
  fingerprint: string;
  hardware: HardwareType;
  /** The node's site when the driver was built (for the per-site counters). */
  site: string;
}

/**
 * Keeps one driver instance per node, so Redfish sessions and connections are reused across
 * commands; a node whose driver or driver_info changed gets a fresh instance.
 */
export class HardwareCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly box: SecretBox,
    private readonly maxEntries = 20_000,
  ) {}

  /** The driver built for this node from the same driver_info, if this worker has it. */
  lookup(nodeUuid: string, fingerprint: string): Entry | undefined {
    const cached = this.entries.get(nodeUuid);
    if (cached?.fingerprint !== fingerprint) return undefined;
    // Re-insert to keep the map in least-recently-used order.
    this.entries.delete(nodeUuid);
    this.entries.set(nodeUuid, cached);
    return cached;
  }

  get(node: NodeRow): HardwareType {
    const fingerprint = driverFingerprint(node);
    const cached = this.lookup(node.uuid, fingerprint);
    if (cached) return cached.hardware;
    // Built from other settings (driver_info changed): closed and replaced.
    void this.entries
      .get(node.uuid)
      ?.hardware.close()
      .catch(() => undefined);
    const hardware = loadHardware({
      driver: node.driver as Parameters<typeof loadHardware>[0]['driver'],
      driverInfo: openDriverInfo(this.box, node.driverInfo, node.driverSecrets),
      nodeUuid: node.uuid,
    });
    this.entries.set(node.uuid, { fingerprint, hardware, site: node.conductorGroup });
    this.evict();
    return hardware;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.entries.values()].map((e) => e.hardware.close()));
    this.entries.clear();
  }

  private evict(): void {
    while (this.entries.size > this.maxEntries) {
      const [oldest] = this.entries;
      if (!oldest) return;
      this.entries.delete(oldest[0]);
      void oldest[1].hardware.close().catch(() => undefined);
    }
  }
}
