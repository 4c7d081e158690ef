import { describe, expect, it } from 'vitest';
import {
  bootInterfaceMac,
  localLinkConnectionFromLldp,
  macFromBootInterface,
  portsFromInventory,
} from '../src/index.js';
import { BOOT_MAC } from '../../../libs/inventory/test/fixtures/ipa-inventory.js';
import { validInventory } from './helpers.js';

const hex = (text: string) => Buffer.from(text, 'ascii').toString('hex');

const ENO1 = {
  address: 'b4:96:91:6a:1c:40',
  pxe_enabled: true,
  local_link_connection: {
    switch_id: '88:5a:92:ec:54:59',
    port_id: 'Ethernet1/18',
    switch_info: 'sw01-dist-1b-b12',
  },
};
const ENO2 = {
  address: 'b4:96:91:6a:1c:41',
  pxe_enabled: false,
  local_link_connection: {
    switch_id: '88:5a:92:ec:54:5a',
    port_id: 'Ethernet1/19',
    switch_info: 'sw02-dist-1b-b12',
  },
};
const ENO3 = { address: 'b4:96:91:6a:1c:42', pxe_enabled: false, local_link_connection: {} };

describe('portsFromInventory', () => {
  it("'all' makes a port of every NIC, lowercase, LLDP into local_link_connection", () => {
    expect(portsFromInventory(validInventory(), { addPorts: 'all' })).toEqual([ENO1, ENO2, ENO3]);
  });

  it("'active' keeps NICs with an address or a carrier", () => {
    expect(portsFromInventory(validInventory(), { addPorts: 'active' })).toEqual([ENO1, ENO2]);
    const v6Only = validInventory((raw) => {
      raw.interfaces[1].has_carrier = false;
      raw.interfaces[2].ipv6_address = '2001:db8::42';
    });
    expect(portsFromInventory(v6Only, { addPorts: 'active' }).map((p) => p.address)).toEqual([
      'b4:96:91:6a:1c:40',
      'b4:96:91:6a:1c:42',
    ]);
  });

  it("'pxe' keeps only the boot interface", () => {
    expect(portsFromInventory(validInventory(), { addPorts: 'pxe' })).toEqual([ENO1]);
  });

  it("'pxe' takes the boot interface given, plain or in pxelinux form", () => {
    const ports = portsFromInventory(validInventory(), {
      addPorts: 'pxe',
      pxeMac: '01-B4-96-91-6A-1C-41',
    });
    expect(ports).toEqual([{ ...ENO2, pxe_enabled: true }]);
    expect(
      portsFromInventory(validInventory(), { addPorts: 'pxe', pxeMac: 'b4:96:91:6a:1c:42' }),
    ).toEqual([{ ...ENO3, pxe_enabled: true }]);
  });

  it("'pxe' falls back to 'active' when the boot interface is unknown", () => {
    const inventory = validInventory((raw) => (raw.boot = { current_boot_mode: 'uefi' }));
    expect(portsFromInventory(inventory, { addPorts: 'pxe' })).toEqual([
      { ...ENO1, pxe_enabled: false },
      ENO2,
    ]);
  });

  it('skips loopbacks and repeated MACs (VLAN interfaces)', () => {
    const inventory = validInventory((raw) => {
      raw.interfaces.push(
        { ...raw.interfaces[0], name: 'eno1.100', lldp: null },
        { name: 'lo', mac_address: '00:00:00:00:00:00', ipv4_address: '127.0.0.1' },
      );
    });
    expect(portsFromInventory(inventory, { addPorts: 'all' })).toEqual([ENO1, ENO2, ENO3]);
  });

  it('skips interfaces without a valid MAC when given unvalidated data', () => {
    const inventory = validInventory();
    (inventory.interfaces[2] as { mac_address: string }).mac_address = '';
    expect(portsFromInventory(inventory, { addPorts: 'all' })).toEqual([ENO1, ENO2]);
  });

  it('prefers LLDP from the plugin data over the inventory', () => {
    const ports = portsFromInventory(validInventory(), {
      addPorts: 'all',
      lldpRaw: {
        eno3: [
          [1, '04aabbccddeeff'],
          [2, `07${hex('42')}`],
        ],
      },
    });
    expect(ports[2]?.local_link_connection).toEqual({
      switch_id: 'aa:bb:cc:dd:ee:ff',
      port_id: '42',
    });
    expect(ports[0]).toEqual(ENO1);
  });
});

describe('localLinkConnectionFromLldp', () => {
  it('reads a MAC port ID and an IPv4 or IPv6 management port ID', () => {
    expect(localLinkConnectionFromLldp([[2, '03001122334455']])).toEqual({
      port_id: '00:11:22:33:44:55',
    });
    expect(localLinkConnectionFromLldp([[2, '04010a000001']])).toEqual({ port_id: '10.0.0.1' });
    expect(localLinkConnectionFromLldp([[2, '040220010db8000000000000000000000001']])).toEqual({
      port_id: '2001:db8::1',
    });
  });

  it('keeps switch_id to MAC chassis IDs, as Ironic does', () => {
    // Chassis ID subtype 7 (locally assigned) is text, not a switch_id Ironic accepts.
    expect(localLinkConnectionFromLldp([[1, `07${hex('chassis-1')}`]])).toEqual({});
  });

  it('skips malformed TLVs and keeps the first of each kind', () => {
    expect(
      localLinkConnectionFromLldp([
        [1, 'zz'],
        [1, '04885a92'],
        [2, '05'],
        [5, '00ff'],
        [1, '04885a92ec5459'],
        [1, '04000000000001'],
        [2, `05${hex('Ethernet1/1')}`],
        [2, `05${hex('Ethernet1/2')}`],
      ]),
    ).toEqual({ switch_id: '88:5a:92:ec:54:59', port_id: 'Ethernet1/1' });
  });
});

describe('boot interface', () => {
  it('reads pxelinux and plain forms, lowercased', () => {
    expect(macFromBootInterface('01-B4-96-91-6A-1C-40')).toBe(BOOT_MAC);
    expect(macFromBootInterface('B4:96:91:6A:1C:40')).toBe(BOOT_MAC);
    expect(macFromBootInterface('eno1')).toBeNull();
    expect(macFromBootInterface(undefined)).toBeNull();
  });

  it('prefers the given boot interface, then the inventory', () => {
    const inventory = validInventory();
    expect(bootInterfaceMac(inventory)).toBe(BOOT_MAC);
    expect(bootInterfaceMac(inventory, '01-b4-96-91-6a-1c-41')).toBe('b4:96:91:6a:1c:41');
    expect(bootInterfaceMac(inventory, 'garbage')).toBe(BOOT_MAC);
  });
});
