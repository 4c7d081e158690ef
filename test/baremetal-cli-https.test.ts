// The real `baremetal` CLI against an API that serves HTTPS only and authenticates with Ironic's
// http_basic strategy (htpasswd, bcrypt), as Metal3's baremetal-operator talks to Ironic.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Installation, labCertificate } from '@ingot/lab';
import { runIngot } from './support/ingot-cli.js';
import { runBaremetal, outputOf } from './support/baremetal-cli.js';

const API_VERSION = '1.78';
const USER = 'metal3';
const PASSWORD = 'an operator password';

describe('the baremetal CLI over HTTPS with http_basic', () => {
  let system: Installation;
  let dir: string;
  let caFile: string;
  let endpoint: string;

  /** `baremetal <args>` with the given auth settings only. */
  const run = (args: string[], auth: Record<string, string>) =>
    runBaremetal(endpoint, args, { apiVersion: API_VERSION, settings: auth, timeoutMs: 60_000 });
  const operator = () => ({
    OS_AUTH_TYPE: 'http_basic',
    OS_USERNAME: USER,
    OS_PASSWORD: PASSWORD,
    OS_CACERT: caFile,
  });
  const bm = async (...args: string[]) => {
    return outputOf(args, await run(args, operator()));
  };
  // The CLI's `-f json` output is loosely typed by nature.
  const bmJson = async (...args: string[]): Promise<any> =>
    JSON.parse(await bm(...args, '-f', 'json'));

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ingot-cli-https-'));
    const tls = await labCertificate();
    caFile = join(dir, 'api.crt');
    await writeFile(caFile, tls.cert);
    await writeFile(join(dir, 'api.key'), tls.key, { mode: 0o600 });
    // What `htpasswd -nbB` writes: $2y$ and cost 5.
    const digest = bcrypt.hashSync(PASSWORD, 5).replace(/^\$2[ab]\$/, '$2y$');
    await writeFile(join(dir, 'users'), `${USER}:${digest}\n`);
    system = await Installation.start({
      INGOT_AUTH_STRATEGY: 'http_basic',
      INGOT_AUTH_HTPASSWD_FILE: join(dir, 'users'),
      INGOT_API_TLS_CERT_FILE: caFile,
      INGOT_API_TLS_KEY_FILE: join(dir, 'api.key'),
      INGOT_AUTOMATED_CLEAN: 'disabled',
    });
    endpoint = system.apiUrl.replace(/^http:/, 'https:');
  }, 60_000);
  afterAll(async () => {
    await system?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('takes a node through its lifecycle', async () => {
    const created = await bmJson('node', 'create', '--driver', 'fake-hardware', '--name', 'tls-1');
    expect(created).toMatchObject({ name: 'tls-1', provision_state: 'enroll' });
    // Links the API writes point at the scheme the client used.
    expect(JSON.stringify(created.links ?? created)).not.toContain('http://');
    await bm('node', 'manage', 'tls-1', '--wait', '60');
    await bm('node', 'provide', 'tls-1', '--wait', '60');
    await bm('node', 'deploy', 'tls-1', '--wait', '60');
    const shown = await bmJson('node', 'show', 'tls-1');
    expect(shown).toMatchObject({ provision_state: 'active', power_state: 'power on' });
    await bm('node', 'power', 'off', 'tls-1', '--power-timeout', '60');
    expect((await bmJson('node', 'show', 'tls-1')).power_state).toBe('power off');
    const listed = await bmJson('node', 'list');
    expect(listed.map((n: Record<string, unknown>) => n.Name)).toEqual(['tls-1']);
    await bm('node', 'undeploy', 'tls-1', '--wait', '60');
    await bm('node', 'delete', 'tls-1');
    expect(await bmJson('node', 'list')).toEqual([]);
  }, 120_000);

  it('refuses a wrong password, no credentials, and a client that does not trust the certificate', async () => {
    const wrong = await run(['node', 'list'], { ...operator(), OS_PASSWORD: 'not it' });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/401|[Uu]nauthori[sz]ed|requires authentication/);
    const anonymous = await run(['node', 'list'], { OS_AUTH_TYPE: 'none', OS_CACERT: caFile });
    expect(anonymous.code).not.toBe(0);
    expect(anonymous.stderr).toMatch(/401|[Uu]nauthori[sz]ed|requires authentication/);
    const untrusting = await run(['node', 'list'], { ...operator(), OS_CACERT: '' });
    expect(untrusting.code).not.toBe(0);
    expect(untrusting.stderr).toMatch(/SSL|certificate/i);
    // Plain HTTP is not served on the API's port.
    const plain = await run(['node', 'list'], { ...operator(), OS_ENDPOINT: system.apiUrl });
    expect(plain.code).not.toBe(0);
  });

  it('the ingot command reaches it with --cacert and http_basic; without the CA or with a wrong password it exits 4', async () => {
    await bm('node', 'create', '--driver', 'fake-hardware', '--name', 'tls-ingot');
    const env = {
      INGOT_URL: endpoint,
      INGOT_USERNAME: USER,
      INGOT_PASSWORD: PASSWORD,
    };
    const waited = await runIngot(
      ['wait', '--state', 'enroll', '--nodes', 'tls-ingot', '--cacert', caFile, '--json'],
      env,
    );
    expect(waited.code, waited.stderr).toBe(0);
    expect(JSON.parse(waited.stdout)).toMatchObject({ state: 'enroll' });
    const untrusting = await runIngot(['wait', '--state', 'enroll', '--nodes', 'tls-ingot'], env);
    expect(untrusting.code).toBe(4);
    expect(untrusting.stderr).toMatch(/certificate this command does not trust.*--cacert/);
    const wrong = await runIngot(
      ['wait', '--state', 'enroll', '--nodes', 'tls-ingot', '--cacert', caFile],
      { ...env, INGOT_PASSWORD: 'not it' },
    );
    expect(wrong.code).toBe(4);
    expect(wrong.stderr).toMatch(/401|credential|refused/i);
    await bm('node', 'delete', 'tls-ingot');
  });
});
