import type { Inventory, InventoryInterface, LldpTlv } from '@ingot/contracts';
import { localLinkConnectionFromLldp, type LocalLinkConnection } from './lldp.js';
import { isMacAddress, macFromBootInterface } from './mac.js';

/** Ironic's [inspector]add_ports: which interfaces become ports. */
export const ADD_PORTS_MODES = ['all', 'active', 'pxe'] as const;
export type AddPorts = (typeof ADD_PORTS_MODES)[number];

export interface InspectedPort {
  address: string;
  pxe_enabled: boolean;
  local_link_connection: LocalLinkConnection;
}

export interface PortsOptions {
  addPorts: AddPorts;
  /** The boot interface (plain MAC or pxelinux form); defaults to inventory.boot.pxe_interface. */
  pxeMac?: string | null;
  /** LLDP TLVs per interface name from the plugin data; preferred over interfaces[].lldp. */
  lldpRaw?: Record<string, LldpTlv[]> | null;
}

/**
 * Ports for the node's NICs: 'all' of them, the 'active' ones (an IP address or a carrier)
 * or only the 'pxe' boot interface; 'pxe' falls back to 'active' when the boot interface is
 * unknown, as Ironic warns it does. Interfaces without a valid MAC, loopbacks and repeated
 * MACs (VLAN or bond members) are skipped; addresses are lowercase.
 */
export function portsFromInventory(inventory: Inventory, options: PortsOptions): InspectedPort[] {
  const pxeMac = bootInterfaceMac(inventory, options.pxeMac);
  const mode = options.addPorts === 'pxe' && !pxeMac ? 'active' : options.addPorts;
  const ports: InspectedPort[] = [];
  for (const iface of inventory.interfaces) {
    if (!isMacAddress(iface.mac_address) || isLoopback(iface)) continue;
    const address = iface.mac_address.toLowerCase();
    if (ports.some((p) => p.address === address)) continue;
    const pxe = address === pxeMac;
    if (mode === 'pxe' && !pxe) continue;
    if (mode === 'active' && !isActive(iface)) continue;
    const lldp = (iface.name && options.lldpRaw?.[iface.name]) || iface.lldp;
    ports.push({
      address,
      pxe_enabled: pxe,
      local_link_connection: lldp ? localLinkConnectionFromLldp(lldp) : {},
    });
  }
  return ports;
}

/** The lowercase MAC the node booted from: `given` if valid, else the inventory's, else null. */
export function bootInterfaceMac(inventory: Inventory, given?: string | null): string | null {
  return macFromBootInterface(given) ?? macFromBootInterface(inventory.boot?.pxe_interface);
}

const isActive = (iface: InventoryInterface) =>
  Boolean(iface.ipv4_address || iface.ipv6_address || iface.has_carrier === true);

function isLoopback(iface: InventoryInterface): boolean {
  const v6 = iface.ipv6_address?.split('%')[0];
  return iface.name === 'lo' || Boolean(iface.ipv4_address?.startsWith('127.')) || v6 === '::1';
}
