import { describe, expect, it } from 'vitest';
import { BmcError, loadHardware, parseIpmiConfig } from '../src/index.js';

const NODE = '6f1c7c8e-3f7a-4c55-9d0e-5b2d3c4e5f60';

describe('ipmi driver_info', () => {
  it('resolves defaults: port 623, ADMINISTRATOR, no cipher suite forced', () => {
    expect(parseIpmiConfig({ ipmi_address: '10.0.0.9', ipmi_username: 'root' }, NODE)).toEqual({
      host: '10.0.0.9',
      port: 623,
      username: 'root',
      password: undefined,
      privLevel: 'ADMINISTRATOR',
      cipherSuite: undefined,
      timeoutMs: 15_000,
    });
  });

  it('takes ports and cipher suites as numbers or digit strings, as Ironic does', () => {
    const config = parseIpmiConfig(
      { ipmi_address: 'bmc.example', ipmi_port: '6230', ipmi_cipher_suite: '17' },
      NODE,
    );
    expect(config).toMatchObject({ port: 6230, cipherSuite: 17 });
  });

  it.each([
    [{}, 'ipmi_address', /ipmi_address must be the host name or IP address/],
    [{ ipmi_address: 'h', ipmi_port: 70000 }, 'ipmi_port', /ipmi_port must be a UDP port/],
    [{ ipmi_address: 'h', ipmi_port: '99999' }, 'ipmi_port', /ipmi_port must be a UDP port/],
    [{ ipmi_address: 'h', ipmi_priv_level: 'ROOT' }, 'ipmi_priv_level', /ADMINISTRATOR/],
    [{ ipmi_address: 'h', ipmi_protocol_version: '1.5' }, 'ipmi_protocol_version', /2\.0/],
    [{ ipmi_address: 'h', ipmi_cipher_suite: 42 }, 'ipmi_cipher_suite', /between 0 and 17/],
  ])('refuses %j naming the field', (info, field, message) => {
    let caught: unknown;
    try {
      parseIpmiConfig(info, NODE);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(BmcError);
    expect(caught).toMatchObject({ kind: 'invalid_config', field });
    expect((caught as Error).message).toMatch(message);
    expect((caught as Error).message).toContain(NODE);
  });

  it('never echoes the password in an error', () => {
    const secret = 'hunter2-is-the-password';
    let caught: unknown;
    try {
      parseIpmiConfig({ ipmi_address: secret, ipmi_password: secret, ipmi_port: -1 }, NODE);
    } catch (error) {
      caught = error;
    }
    expect((caught as Error).message).not.toContain(secret);
  });

  it('has no virtual media: the agent of an ipmi node boots over iPXE', async () => {
    const hardware = loadHardware({
      driver: 'ipmi',
      driverInfo: { ipmi_address: '127.0.0.1' },
      nodeUuid: NODE,
    });
    expect(hardware.name).toBe('ipmi');
    await expect(
      hardware.management.insertVirtualMedia('http://127.0.0.1/x.iso', 'cd'),
    ).rejects.toMatchObject({ kind: 'unsupported', message: expect.stringMatching(/iPXE/) });
  });
});
