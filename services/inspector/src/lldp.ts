import type { LldpTlv } from '@ingot/contracts';

/** Where a NIC is plugged in, as Ironic's port.local_link_connection holds it. */
export interface LocalLinkConnection {
  switch_id?: string;
  port_id?: string;
  switch_info?: string;
}

// IEEE 802.1AB TLV types and subtypes we read.
const TLV_CHASSIS_ID = 1;
const TLV_PORT_ID = 2;
const TLV_SYSTEM_NAME = 5;
const CHASSIS_SUBTYPE_MAC = 4;
const PORT_SUBTYPE_MAC = 3;
const PORT_SUBTYPE_NETWORK_ADDRESS = 4;

/**
 * local_link_connection from raw LLDP TLVs ([type, hex value], as IPA sends them): switch_id
 * from a MAC chassis ID (Ironic accepts only a MAC there), port_id from the port ID and
 * switch_info from the system name. Malformed TLVs are skipped; the first of a kind wins.
 */
export function localLinkConnectionFromLldp(tlvs: readonly LldpTlv[]): LocalLinkConnection {
  const link: LocalLinkConnection = {};
  for (const [type, hex] of tlvs) {
    const data = bytesFromHex(hex);
    if (!data || data.length === 0) continue;
    if (type === TLV_CHASSIS_ID && link.switch_id === undefined) {
      if (data[0] === CHASSIS_SUBTYPE_MAC && data.length === 7)
        link.switch_id = macText(data.subarray(1));
    } else if (type === TLV_PORT_ID && link.port_id === undefined) {
      const port = portId(data);
      if (port) link.port_id = port;
    } else if (type === TLV_SYSTEM_NAME && link.switch_info === undefined) {
      const name = printable(data);
      if (name) link.switch_info = name;
    }
  }
  return link;
}

function portId(data: Uint8Array): string | null {
  const [subtype] = data;
  const value = data.subarray(1);
  if (subtype === PORT_SUBTYPE_MAC) return value.length === 6 ? macText(value) : null;
  if (subtype === PORT_SUBTYPE_NETWORK_ADDRESS) return networkAddress(value);
  return printable(value);
}

/** An IANA address family byte (1 = IPv4, 2 = IPv6) and the address. */
function networkAddress(data: Uint8Array): string | null {
  const [family] = data;
  const address = data.subarray(1);
  if (family === 1 && address.length === 4) return [...address].join('.');
  if (family === 2 && address.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) {
      groups.push((((address[i] ?? 0) << 8) | (address[i + 1] ?? 0)).toString(16));
    }
    // The URL parser writes IPv6 in its canonical, compressed form.
    return new URL(`http://[${groups.join(':')}]`).hostname.slice(1, -1);
  }
  return null;
}

function bytesFromHex(hex: string): Uint8Array | null {
  const text = hex.trim();
  if (text.length % 2 !== 0 || !/^[0-9a-f]*$/i.test(text)) return null;
  return Uint8Array.from(Buffer.from(text, 'hex'));
}

const macText = (bytes: Uint8Array) =>
  [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');

/** Text TLVs are meant to be ASCII; anything else is not a name we can store. */
function printable(bytes: Uint8Array): string | null {
  const text = Buffer.from(bytes).toString('utf8').replace(/\0+$/, '').trim();
  const readable = [...text].every((c) => c >= ' ' && c !== '\ufffd');
  return text && readable ? text : null;
}
