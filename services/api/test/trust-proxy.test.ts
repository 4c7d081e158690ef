import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trustProxyFromEnv } from '../src/config.js';
import { TestApi } from './support/test-api.js';

/** What an ingress that terminates TLS adds to a request it forwards. */
const FORWARDED = {
  'x-forwarded-proto': 'https',
  'x-forwarded-host': 'ironic.example.test',
  'x-forwarded-for': '192.0.2.7',
};

const nextLink = async (api: TestApi, remoteAddress: string) => {
  const res = await api.app.inject({
    method: 'GET',
    url: '/v1/nodes?limit=1',
    headers: { 'x-openstack-ironic-api-version': '1.78', ...FORWARDED },
    remoteAddress,
  });
  expect(res.statusCode, res.body).toBe(200);
  return (JSON.parse(res.body) as { next: string }).next;
};

/**
 * Behind a proxy that terminates TLS, the links Ingot hands out (next pages, Location, the
 * version document) must name the address the client used, or ironicclient follows a `next`
 * link to plain HTTP on an internal host. Only the proxies named are believed.
 */
describe('INGOT_API_TRUST_PROXY', () => {
  let trusting: TestApi;
  let plain: TestApi;
  beforeAll(async () => {
    [trusting, plain] = await Promise.all([
      TestApi.start({ trustProxy: '10.0.0.0/8' }),
      TestApi.start(),
    ]);
    for (const api of [trusting, plain]) {
      await api.node('one');
      await api.node('two');
    }
  });
  afterAll(async () => {
    await Promise.all([trusting?.stop(), plain?.stop()]);
  });

  it('links name the forwarded scheme and host for a request from a trusted proxy', async () => {
    expect(await nextLink(trusting, '10.1.2.3')).toMatch(
      /^https:\/\/ironic\.example\.test\/v1\/nodes\?/,
    );
  });

  it('ignores the headers from an address that is not a trusted proxy, and by default', async () => {
    expect(await nextLink(trusting, '192.0.2.50')).toMatch(
      /^http:\/\/localhost(:\d+)?\/v1\/nodes\?/,
    );
    expect(await nextLink(plain, '10.1.2.3')).toMatch(/^http:\/\/localhost(:\d+)?\/v1\/nodes\?/);
  });

  it('reads the setting: true, false, addresses; anything else is refused', () => {
    expect(trustProxyFromEnv(undefined)).toBe(false);
    expect(trustProxyFromEnv('False')).toBe(false);
    expect(trustProxyFromEnv('true')).toBe(true);
    expect(trustProxyFromEnv('10.0.0.0/8, fd00::/8')).toBe('10.0.0.0/8, fd00::/8');
    expect(() => trustProxyFromEnv('the ingress')).toThrow(/INGOT_API_TRUST_PROXY must be/);
  });
});
