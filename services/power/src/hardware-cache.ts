import { createHash } from 'node:crypto';
import { loadHardware, type HardwareType } from '@ingot/drivers';
import { openDriverInfo, type NodeRow, type SecretBox } from '@ingot/store';

interface Entry {
  fingerprint: string;
  hardware: HardwareType;
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

  get(node: NodeRow): HardwareType {
    const fingerprint = createHash('sha256')
      .update(JSON.stringify([node.driver, node.driverInfo, node.driverSecrets]))
      .digest('hex');
    const cached = this.entries.get(node.uuid);
    if (cached?.fingerprint === fingerprint) {
      // Re-insert to keep the map in least-recently-used order.
      this.entries.delete(node.uuid);
      this.entries.set(node.uuid, cached);
      return cached.hardware;
    }
    if (cached) void cached.hardware.close().catch(() => undefined);
    const hardware = loadHardware({
      driver: node.driver as Parameters<typeof loadHardware>[0]['driver'],
      driverInfo: openDriverInfo(this.box, node.driverInfo, node.driverSecrets),
      nodeUuid: node.uuid,
    });
    this.entries.set(node.uuid, { fingerprint, hardware });
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
