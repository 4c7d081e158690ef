import { describe, expect, it } from 'vitest';
import {
  BmcAddressError,
  checkLoopbackBmc,
  isLoopback,
  parseBmcAddress,
} from '../src/bmc-address.js';

describe("Metal3's bmc.address schemes", () => {
  it('redfish:// is Redfish over https, booting the agent over iPXE, the path being the System', () => {
    expect(parseBmcAddress('redfish://127.0.0.1:8000/redfish/v1/Systems/1')).toEqual({
      driver: 'redfish',
      host: '127.0.0.1',
      bootInterface: 'ipxe',
      driverInfo: {
        redfish_address: 'https://127.0.0.1:8000',
        redfish_system_id: '/redfish/v1/Systems/1',
      },
    });
  });

  it('redfish+http:// and redfish-virtualmedia+https:// choose the transport and virtual media', () => {
    expect(parseBmcAddress('redfish+http://127.0.0.1:81/redfish/v1/Systems/a').driverInfo).toEqual({
      redfish_address: 'http://127.0.0.1:81',
      redfish_system_id: '/redfish/v1/Systems/a',
    });
    const vmedia = parseBmcAddress(
      'redfish-virtualmedia+https://127.0.0.1/redfish/v1/Systems/1',
      true,
    );
    expect(vmedia.bootInterface).toBe('redfish-virtual-media');
    expect(vmedia.driverInfo).toMatchObject({
      redfish_address: 'https://127.0.0.1',
      redfish_verify_ca: false,
    });
    expect(parseBmcAddress('redfish-virtualmedia://127.0.0.1/x').driverInfo.redfish_address).toBe(
      'https://127.0.0.1',
    );
  });

  it('ipmi:// (and a bare host) is IPMI with its port', () => {
    expect(parseBmcAddress('ipmi://127.0.0.1:6230')).toMatchObject({
      driver: 'ipmi',
      driverInfo: { ipmi_address: '127.0.0.1', ipmi_port: 6230 },
    });
    expect(parseBmcAddress('127.0.0.2').driverInfo).toEqual({ ipmi_address: '127.0.0.2' });
  });

  it('refuses another scheme, naming it', () => {
    expect(() => parseBmcAddress('idrac-virtualmedia://127.0.0.1/redfish/v1/Systems/1')).toThrow(
      /Unsupported BMC address scheme 'idrac-virtualmedia'/,
    );
    expect(() => parseBmcAddress('libvirt://127.0.0.1')).toThrow(BmcAddressError);
  });

  it('with loopback-only on, refuses a BMC outside 127.0.0.0/8 and names it', () => {
    expect(isLoopback('127.3.2.1')).toBe(true);
    expect(isLoopback('::1')).toBe(true);
    expect(isLoopback('192.168.111.1')).toBe(false);
    expect(isLoopback('bmc.example.com')).toBe(false);
    const far = parseBmcAddress('redfish://192.168.111.1:8000/redfish/v1/Systems/1');
    expect(() => checkLoopbackBmc(far, true)).toThrow(
      /192\.168\.111\.1' is outside 127\.0\.0\.0\/8/,
    );
    expect(() => checkLoopbackBmc(far, false)).not.toThrow();
  });
});
