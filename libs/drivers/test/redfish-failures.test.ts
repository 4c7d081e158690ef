import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { BmcError, closeDriverConnections, loadHardware } from '../src/index.js';
import { PASSWORD, bmcError, cleanUp, driverInfoFor, redfish, startBmc } from './lab-bmc.js';
import { startStubBmc } from './stub-bmc.js';

afterEach(cleanUp);
afterAll(closeDriverConnections);

/** A loopback port that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('TLS', () => {
  it('verifies certificates by default and rejects the self-signed lab BMC with kind tls', async () => {
    const bmc = await startBmc({ tls: true });
    const hardware = redfish(driverInfoFor(bmc));
    const error = await bmcError(() => hardware.power.getPowerState(), 'tls');
    expect(error.message).toMatch(
      /^TLS certificate of BMC at 127\.0\.0\.1:\d+ could not be verified: self-signed certificate; set redfish_verify_ca=false/,
    );
  });

  it.each([false, 'False', 'no'])(
    'skips verification when redfish_verify_ca is %j',
    async (value) => {
      const bmc = await startBmc({ tls: true });
      const hardware = redfish(driverInfoFor(bmc, { redfish_verify_ca: value }));
      expect(await hardware.power.getPowerState()).toBe('power off');
    },
  );

  it('trusts the CA bundle named by redfish_verify_ca', async () => {
    const bmc = await startBmc({ tls: true });
    const bundle = join(mkdtempSync(join(tmpdir(), 'ingot-ca-')), 'ca.pem');
    writeFileSync(bundle, bmc.certificate ?? '');
    const hardware = redfish(driverInfoFor(bmc, { redfish_verify_ca: bundle }));
    expect(await hardware.power.getPowerState()).toBe('power off');
  });
});

describe('unreachable and dead BMCs', () => {
  it('reports a closed port as kind unreachable', async () => {
    const port = await closedPort();
    const hardware = redfish({
      redfish_address: `http://127.0.0.1:${port}`,
      redfish_username: 'admin',
      redfish_password: PASSWORD,
    });
    const error = await bmcError(() => hardware.power.getPowerState(), 'unreachable');
    expect(error.message).toBe(`BMC at 127.0.0.1:${port} is unreachable: connection refused`);
  });

  it('reports a BMC answering 503 (its web server restarting) as kind unreachable, with its message', async () => {
    const bmc = await startBmc();
    await bmc.setFault('busy');
    const hardware = redfish(driverInfoFor(bmc));
    const error = await bmcError(() => hardware.power.getPowerState(), 'unreachable');
    expect(error.message).toMatch(
      new RegExp(
        `^BMC at 127\\.0\\.0\\.1:${bmc.port} is unavailable \\(HTTP 503 to GET /redfish/v1/\\S*\\): The service is temporarily unavailable\\. Retry in 2 seconds\\.$`,
      ),
    );
    await bmc.setFault('none');
    expect(await hardware.power.getPowerState()).toBe('power off');
  });

  it('reports a BMC that never answers as kind timeout within redfish_timeout_ms', async () => {
    const bmc = await startBmc();
    await bmc.setFault('hang');
    const hardware = redfish(driverInfoFor(bmc, { redfish_timeout_ms: 300 }));
    const started = performance.now();
    const error = await bmcError(() => hardware.power.getPowerState(), 'timeout');
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(error.message).toBe(`BMC at 127.0.0.1:${bmc.port} did not answer within 300 ms`);
  });

  it('fails fast under auth_type auto when the BMC is dead, without a second attempt', async () => {
    const bmc = await startBmc();
    await bmc.setFault('hang');
    const hardware = redfish(
      driverInfoFor(bmc, { redfish_auth_type: 'auto', redfish_timeout_ms: 300 }),
    );
    const started = performance.now();
    await bmcError(() => hardware.power.getPowerState(), 'timeout');
    expect(performance.now() - started).toBeLessThan(600);
  });

  it('retries a GET that could not connect, so a brief outage goes unnoticed', async () => {
    const bmc = await startBmc();
    const hardware = redfish(driverInfoFor(bmc));
    await bmc.setFault('refuse');
    setTimeout(() => void bmc.setFault('none'), 50);
    expect(await hardware.power.getPowerState()).toBe('power off');
  });

  it('does not re-send a Reset whose connection broke, as it may have been done', async () => {
    const reset = '/redfish/v1/Systems/1/Actions/ComputerSystem.Reset';
    const stub = await startStubBmc(
      { '/redfish/v1/Systems/1': { '@odata.id': '/redfish/v1/Systems/1', PowerState: 'Off' } },
      [`POST ${reset}`],
    );
    try {
      const hardware = redfish({
        redfish_address: stub.url,
        redfish_system_id: '/redfish/v1/Systems/1',
        redfish_auth_type: 'basic',
      });
      const error = await bmcError(() => hardware.power.setPowerState('power on'), 'unreachable');
      expect(error.message).toContain('the BMC closed the connection');
      expect(stub.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    } finally {
      await stub.stop();
    }
  });
});

describe('system discovery', () => {
  it('asks for redfish_system_id when the BMC manages several systems', async () => {
    const stub = await startStubBmc({
      '/redfish/v1': { Systems: { '@odata.id': '/redfish/v1/Systems' } },
      '/redfish/v1/Systems': {
        Members: [
          { '@odata.id': '/redfish/v1/Systems/a' },
          { '@odata.id': '/redfish/v1/Systems/b' },
        ],
      },
    });
    try {
      const hardware = redfish({ redfish_address: stub.url, redfish_auth_type: 'basic' });
      const error = await bmcError(() => hardware.power.validate(), 'invalid_config');
      expect(error.field).toBe('redfish_system_id');
      expect(error.message).toContain(
        'manages 2 systems (/redfish/v1/Systems/a, /redfish/v1/Systems/b); set redfish_system_id',
      );
    } finally {
      await stub.stop();
    }
  });

  it('reports a configured system the BMC does not have as kind not_found', async () => {
    const bmc = await startBmc();
    const hardware = redfish(driverInfoFor(bmc, { redfish_system_id: '/redfish/v1/Systems/9' }));
    const error = await bmcError(() => hardware.power.getPowerState(), 'not_found');
    expect(error.message).toContain(
      'has no system at /redfish/v1/Systems/9 (HTTP 404); check redfish_system_id',
    );
  });
});

describe('driver_info validation', () => {
  const load =
    (driverInfo: Record<string, unknown>, driver = 'redfish') =>
    () =>
      loadHardware({ driver, driverInfo, nodeUuid: 'node-7' });
  const valid = { redfish_address: 'https://127.0.0.1:1', redfish_password: PASSWORD };

  it.each([
    ['a missing redfish_address', {}, 'redfish_address', 'redfish_address is required'],
    ['an empty redfish_address', { redfish_address: '' }, 'redfish_address', 'non-empty URL'],
    [
      'a non-http scheme',
      { ...valid, redfish_address: 'ftp://bmc' },
      'redfish_address',
      'http or https',
    ],
    [
      'credentials in the address',
      { ...valid, redfish_address: 'https://admin:x@127.0.0.1' },
      'redfish_address',
      'must not contain credentials',
    ],
    [
      'a bad auth type',
      { ...valid, redfish_auth_type: 'kerberos' },
      'redfish_auth_type',
      "'basic', 'session' or 'auto'",
    ],
    [
      'a too small timeout',
      { ...valid, redfish_timeout_ms: 5 },
      'redfish_timeout_ms',
      'between 100 and 600000',
    ],
    [
      'a system id that is no path',
      { ...valid, redfish_system_id: '1' },
      'redfish_system_id',
      'path of the system',
    ],
    [
      'a CA bundle that does not exist',
      { ...valid, redfish_verify_ca: '/nonexistent/ca.pem' },
      'redfish_verify_ca',
      'neither a boolean nor a readable CA bundle',
    ],
  ])('rejects %s with kind invalid_config naming the field', async (_, info, field, text) => {
    const error = await bmcError(load(info), 'invalid_config');
    expect(error.field).toBe(field);
    expect(error.message).toContain('driver_info of node node-7 is invalid');
    expect(error.message).toContain(text);
  });

  it('rejects an unknown driver', async () => {
    const error = await bmcError(load(valid, 'ipmi-magic'), 'invalid_config');
    expect(error.message).toContain('use one of redfish, ipmi, fake-hardware');
  });

  it('defaults a scheme-less address to https, as Ironic does', async () => {
    const bmc = await startBmc();
    const hardware = redfish({ ...driverInfoFor(bmc), redfish_address: `127.0.0.1:${bmc.port}` });
    // The lab BMC speaks plain HTTP here, so an https attempt fails in the TLS handshake.
    const error = await bmcError(() => hardware.power.getPowerState(), 'tls');
    expect(error.message).toContain('check that the scheme of redfish_address');
  });
});

describe('secrets', () => {
  it('never puts the password into an error message', async () => {
    const errors: unknown[] = [];
    const collect = async (action: () => unknown) => {
      try {
        await action();
      } catch (err) {
        errors.push(err);
      }
    };
    const bmc = await startBmc();
    const tlsBmc = await startBmc({ tls: true });
    const hanging = await startBmc();
    await hanging.setFault('hang');
    const port = await closedPort();
    const attempts = [
      driverInfoFor(bmc, { redfish_username: 'someone' }),
      driverInfoFor(bmc, { redfish_auth_type: 'session', redfish_username: 'someone' }),
      driverInfoFor(bmc, { redfish_system_id: '/redfish/v1/Systems/nope' }),
      driverInfoFor(tlsBmc, { redfish_address: tlsBmc.url }),
      driverInfoFor(hanging, { redfish_timeout_ms: 200 }),
      { ...driverInfoFor(bmc), redfish_address: `http://127.0.0.1:${port}` },
      { ...driverInfoFor(bmc), redfish_address: `https://admin:${PASSWORD}@127.0.0.1` },
      { ...driverInfoFor(bmc), redfish_timeout_ms: PASSWORD },
      { ...driverInfoFor(bmc), redfish_verify_ca: `/tmp/${PASSWORD}` },
    ];
    for (const info of attempts) {
      await collect(async () => {
        const hardware = redfish(info);
        await hardware.power.getPowerState();
      });
    }
    await collect(() =>
      redfish(driverInfoFor(bmc)).management.setBootDevice('safe', { persistent: true }),
    );

    expect(errors).toHaveLength(attempts.length + 1);
    for (const err of errors) {
      expect(err).toBeInstanceOf(BmcError);
      expect(String(err)).not.toContain(PASSWORD);
      expect(String((err as Error).cause ?? '')).not.toContain(PASSWORD);
      expect((err as Error).stack ?? '').not.toContain(PASSWORD);
    }
  });
});
