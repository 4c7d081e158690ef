import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { authConfigFromEnv } from '../src/auth/config.js';
import {
  authorize,
  isPublicRoute,
  NOAUTH_PRINCIPAL,
  nodePatchPolicies,
  POLICIES,
  principal,
  ROUTE_POLICIES,
  routePolicy,
} from '../src/auth/policy.js';
import { parseTokens, TokenStore } from '../src/auth/tokens.js';

const sha = (t: string) => createHash('sha256').update(t).digest('hex');

describe('auth configuration', () => {
  it('defaults to noauth, and to bearer when a token source is set', () => {
    expect(authConfigFromEnv({}).strategy).toBe('noauth');
    expect(authConfigFromEnv({ INGOT_AUTH_TOKENS_FILE: '/x' }).strategy).toBe('bearer');
    expect(authConfigFromEnv({ INGOT_ADMIN_TOKEN: 'a'.repeat(16) }).strategy).toBe('bearer');
    expect(
      authConfigFromEnv({ INGOT_AUTH_STRATEGY: 'noauth', INGOT_ADMIN_TOKEN: 'a'.repeat(16) })
        .strategy,
    ).toBe('noauth');
  });

  it('refuses what cannot work', () => {
    expect(() => authConfigFromEnv({ INGOT_AUTH_STRATEGY: 'bearer' })).toThrow(/needs/);
    expect(() => authConfigFromEnv({ INGOT_AUTH_STRATEGY: 'keystone' })).toThrow(/not supported/);
    expect(() => authConfigFromEnv({ INGOT_AUTH_STRATEGY: 'basic' })).toThrow(
      /noauth, bearer or http_basic/,
    );
    expect(() => authConfigFromEnv({ INGOT_ADMIN_TOKEN: 'short' })).toThrow(/16/);
  });
});

describe('token store', () => {
  const file = JSON.stringify([
    { name: 'a', token_sha256: sha('tok-a'), roles: ['admin'] },
    { name: 'r', token_sha256: sha('tok-r').toUpperCase(), roles: ['reader'], project_id: 'p1' },
  ]);

  it('maps a token to its principal by digest, with implied roles', () => {
    const store = TokenStore.of(parseTokens(file));
    const a = store.lookup('tok-a')!;
    expect(a.name).toBe('a');
    expect([...a.roles].sort()).toEqual(['admin', 'member', 'reader']);
    expect(a.projectId).toBeNull();
    const r = store.lookup('tok-r')!;
    expect([...r.roles]).toEqual(['reader']);
    expect(r.projectId).toBe('p1');
    expect(store.lookup('tok-x')).toBeUndefined();
    expect(store.lookup(sha('tok-a'))).toBeUndefined();
    expect(TokenStore.of(parseTokens(JSON.stringify({ tokens: [] }))).size).toBe(0);
  });

  it.each([
    ['not JSON', '{', /not JSON/],
    ['not a list', '{"a":1}', /list/],
    [
      'a clear token',
      `[{"name":"x","token":"t","roles":["admin"]}]`,
      /token_sha256, not the token/,
    ],
    ['a short digest', `[{"name":"x","token_sha256":"abc","roles":["admin"]}]`, /64 hex/],
    ['an unknown role', `[{"name":"x","token_sha256":"${sha('t')}","roles":["root"]}]`, /root/],
    ['no roles', `[{"name":"x","token_sha256":"${sha('t')}","roles":[]}]`, /roles/],
    ['no name', `[{"token_sha256":"${sha('t')}","roles":["reader"]}]`, /name/],
  ])('refuses a token file with %s', (_what, text, message) => {
    expect(() => parseTokens(text)).toThrow(message);
  });

  it('refuses a token listed twice', () => {
    const twice = JSON.stringify([
      { name: 'a', token_sha256: sha('t'), roles: ['admin'] },
      { name: 'b', token_sha256: sha('t'), roles: ['reader'] },
    ]);
    expect(() => TokenStore.of(parseTokens(twice))).toThrow(/twice/);
  });
});

describe('policy', () => {
  const admin = principal('admin', ['admin']);
  const member = principal('member', ['member']);
  const reader = principal('reader', ['reader']);
  const ownerMember = principal('om', ['member'], 'acme');
  const ownerAdmin = principal('oa', ['admin'], 'acme');
  const lesseeAdmin = principal('la', ['admin'], 'tenant');
  const lesseeReader = principal('lr', ['reader'], 'tenant');
  const node = { owner: 'acme', lessee: 'tenant' };
  const allowed = (policy: keyof typeof POLICIES) =>
    [admin, member, reader, ownerMember, ownerAdmin, lesseeAdmin, lesseeReader]
      .filter((p) => authorize(p, policy, node))
      .map((p) => p.name);

  it("follows Ironic's system-scope defaults", () => {
    expect(allowed('baremetal:node:create')).toEqual(['admin']);
    expect(allowed('baremetal:node:delete')).toEqual(['admin']);
    expect(allowed('baremetal:port:create')).toEqual(['admin', 'oa']);
    expect(allowed('baremetal:inspection_rule:create')).toEqual(['admin']);
    expect(allowed('baremetal:node:set_provision_state')).toEqual([
      'admin',
      'member',
      'om',
      'oa',
      'la',
    ]);
    expect(allowed('baremetal:node:set_power_state')).toEqual([
      'admin',
      'member',
      'om',
      'oa',
      'la',
    ]);
    expect(allowed('baremetal:node:update:driver_info')).toEqual(['admin', 'member', 'om', 'oa']);
    expect(allowed('baremetal:node:update:owner')).toEqual(['admin', 'member']);
    expect(allowed('baremetal:node:get')).toHaveLength(7);
    expect(allowed('baremetal:node:get:driver_info')).toEqual([
      'admin',
      'member',
      'reader',
      'om',
      'oa',
    ]);
    expect(allowed('baremetal:driver:get')).toEqual(['admin', 'member', 'reader']);
    expect(authorize(null, 'baremetal:node:get', node)).toBe(false);
    expect(authorize(NOAUTH_PRINCIPAL, 'baremetal:node:create')).toBe(true);
    // Project principals on a node that is not theirs, or with no node at hand.
    expect(authorize(ownerAdmin, 'baremetal:node:get', { owner: 'x', lessee: null })).toBe(false);
    expect(authorize(ownerAdmin, 'baremetal:port:create')).toBe(false);
  });

  it('maps routes by method and pattern, with safe defaults', () => {
    expect(routePolicy('GET', '/v1/nodes/:node_ident').policies).toEqual(['baremetal:node:get']);
    expect(routePolicy('HEAD', '/v1/nodes/:id').policies).toEqual(['baremetal:node:get']);
    expect(routePolicy('PUT', '/v1/nodes/:n/states/power').policies).toEqual([
      'baremetal:node:set_power_state',
    ]);
    expect(routePolicy('GET', '/v1/widgets').policies).toEqual(['ingot:default:read']);
    expect(routePolicy('POST', '/v1/widgets').policies).toEqual(['ingot:default:write']);
    for (const r of ROUTE_POLICIES)
      for (const p of r.policies) expect(POLICIES[p]).toBeTypeOf('function');
    expect(isPublicRoute('GET', '/v1/lookup')).toBe(true);
    expect(isPublicRoute('POST', '/v1/heartbeat/:node_ident')).toBe(true);
    expect(isPublicRoute('GET', '/docs/static/*')).toBe(true);
    expect(isPublicRoute('GET', '/v1/nodes')).toBe(false);
    expect(isPublicRoute('DELETE', '/healthz')).toBe(false);
  });

  it("checks a node patch field by field, as Ironic's _authorize_patch_and_get_node", () => {
    expect(nodePatchPolicies([{ op: 'add', path: '/extra/a', value: 1 }])).toEqual([
      'baremetal:node:update_extra',
    ]);
    expect(
      nodePatchPolicies([
        { op: 'replace', path: '/description', value: 'x' },
        { op: 'replace', path: '/driver_info/redfish_address', value: 'x' },
      ]).sort(),
    ).toEqual(['baremetal:node:update', 'baremetal:node:update:driver_info']);
    expect(nodePatchPolicies([{ op: 'move', from: '/owner', path: '/extra/o' }]).sort()).toEqual([
      'baremetal:node:update:owner',
      'baremetal:node:update_extra',
    ]);
    expect(
      nodePatchPolicies([{ op: 'replace', path: '/automated_clean', value: 'false' }]),
    ).toEqual(['baremetal:node:disable_cleaning']);
    expect(
      nodePatchPolicies([{ op: 'replace', path: '/power_interface', value: 'ipmitool' }]),
    ).toEqual(['baremetal:node:update:driver_interfaces']);
    expect(nodePatchPolicies('not a patch')).toEqual(['baremetal:node:update']);
  });
});
