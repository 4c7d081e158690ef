// Network interfaces from /sys/class/net, addresses from `ip -j addr`.
import { readdir, realpath } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { tryTool } from '../../tools.js';
import type { NetworkInterface } from '../types.js';
import type { Warn } from './probe.js';
import { exists, readText } from './probe.js';

const PCI_ADDRESS_RE = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-9a-f]$/i;

interface IpAddrEntry {
  ifname?: string;
  addr_info?: { family?: string; local?: string; scope?: string }[];
}

export async function listInterfaces(warn: Warn): Promise<NetworkInterface[]> {
  const names = (await readdir('/sys/class/net').catch(() => [] as string[])).filter(
    (n) => n !== 'lo',
  );
  const addresses = await interfaceAddresses(warn);
  const all: { nic: NetworkInterface; physical: boolean }[] = [];
  for (const name of names) {
    const mac = (await readText(`/sys/class/net/${name}/address`))?.toLowerCase();
    if (!mac || /^(00:){5}00$/.test(mac)) continue;
    const physical = await exists(`/sys/class/net/${name}/device`);
    const speed = Number(await readText(`/sys/class/net/${name}/speed`));
    const ips = addresses.get(name) ?? {};
    all.push({
      physical,
      nic: {
        name,
        mac_address: mac,
        ipv4_address: ips.v4 ?? null,
        ipv6_address: ips.v6 ?? null,
        has_carrier: (await readText(`/sys/class/net/${name}/carrier`)) === '1',
        vendor: (await readText(`/sys/class/net/${name}/device/vendor`)) ?? null,
        product: (await readText(`/sys/class/net/${name}/device/device`)) ?? null,
        speed_mbps: speed > 0 ? speed : null,
        biosdevname: null,
        pci_address: physical ? await pciAddress(`/sys/class/net/${name}/device`) : null,
      },
    });
  }
  // As IPA, report physical NICs only; but a machine with none (a container) still needs a MAC.
  const physical = all.filter((entry) => entry.physical);
  if (physical.length === 0 && all.length > 0) {
    warn('no physical network interface found: reporting virtual ones');
    return all.map((entry) => entry.nic);
  }
  if (all.length === 0) warn('no network interface with a MAC address found');
  return physical.map((entry) => entry.nic);
}

async function interfaceAddresses(warn: Warn): Promise<Map<string, { v4?: string; v6?: string }>> {
  const result = new Map<string, { v4?: string; v6?: string }>();
  const out = await tryTool('ip', ['-j', 'addr', 'show']);
  if (out !== undefined) {
    for (const entry of JSON.parse(out) as IpAddrEntry[]) {
      if (!entry.ifname) continue;
      const info = entry.addr_info ?? [];
      result.set(entry.ifname, {
        v4: info.find((a) => a.family === 'inet')?.local,
        v6:
          info.find((a) => a.family === 'inet6' && a.scope === 'global')?.local ??
          info.find((a) => a.family === 'inet6')?.local,
      });
    }
    return result;
  }
  warn('ip is unavailable: interface addresses read from the runtime');
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    result.set(name, {
      v4: addrs?.find((a) => a.family === 'IPv4')?.address,
      v6: addrs?.find((a) => a.family === 'IPv6')?.address,
    });
  }
  return result;
}

/** The PCI address is the nearest ancestor of the device that is named like one. */
async function pciAddress(devicePath: string): Promise<string | null> {
  const resolved = await realpath(devicePath).catch(() => undefined);
  if (!resolved) return null;
  const parts = resolved.split('/').reverse();
  return parts.find((part) => PCI_ADDRESS_RE.test(part)) ?? null;
}
