/**
 * Ironic's secure-RBAC defaults (ironic/common/policy.py, enforce_new_defaults), restated for
 * Ingot's three roles. A principal is system-scoped (no project) or project-scoped; project-scoped
 * principals reach a node only as its owner or lessee. Keystone's implied roles hold: admin
 * implies member, member implies reader. Ironic's `service` and `manager` roles are not offered.
 */

import { DRIVER_INTERFACES as DRIVER_INTERFACE_NAMES } from '@ingot/contracts';

export const ROLES = ['admin', 'member', 'reader'] as const;
export type Role = (typeof ROLES)[number];

const IMPLIED: Record<Role, readonly Role[]> = {
  admin: ['admin', 'member', 'reader'],
  member: ['member', 'reader'],
  reader: ['reader'],
};

export interface Principal {
  /** Who: the token entry's name, or `noauth`. Logged, never the token. */
  name: string;
  /** The granted roles with the roles they imply. */
  roles: ReadonlySet<Role>;
  /** null: system scope (every node); else the project the principal acts for. */
  projectId: string | null;
}

export function principal(name: string, roles: readonly Role[], projectId: string | null = null) {
  return {
    name,
    roles: new Set(roles.flatMap((r) => IMPLIED[r])),
    projectId,
  } satisfies Principal;
}

/** Every request of the noauth strategy, as Ironic's noauth: a system-scoped admin. */
export const NOAUTH_PRINCIPAL: Principal = principal('noauth', ['admin']);

/** What a node-scoped rule looks at. */
export interface NodeTarget {
  owner: string | null;
  lessee: string | null;
}

type Check = (p: Principal, node: NodeTarget | undefined) => boolean;

const system =
  (role: Role): Check =>
  (p) =>
    p.projectId === null && p.roles.has(role);
const owner =
  (role: Role): Check =>
  (p, node) =>
    p.projectId !== null && p.roles.has(role) && node?.owner === p.projectId;
const lessee =
  (role: Role): Check =>
  (p, node) =>
    p.projectId !== null && p.roles.has(role) && node?.lessee === p.projectId;
const anyScope =
  (role: Role): Check =>
  (p) =>
    p.roles.has(role);
const anyOf =
  (...checks: Check[]): Check =>
  (p, node) =>
    checks.some((c) => c(p, node));

// Ironic's personas, by the names policy.py gives them.
const SYSTEM_ADMIN = system('admin');
const SYSTEM_MEMBER = system('member');
const SYSTEM_READER = system('reader');
const PROJECT_MEMBER = anyOf(owner('member'), lessee('member'));
const PROJECT_READER = anyOf(owner('reader'), lessee('reader'));
const SYSTEM_OR_PROJECT_MEMBER = anyOf(SYSTEM_MEMBER, PROJECT_MEMBER);
const SYSTEM_OR_PROJECT_READER = anyOf(SYSTEM_READER, PROJECT_READER);
const SYSTEM_OR_OWNER_MEMBER_AND_LESSEE_ADMIN = anyOf(
  SYSTEM_MEMBER,
  owner('member'),
  lessee('admin'),
);
const SYSTEM_ADMIN_OR_OWNER_ADMIN = anyOf(SYSTEM_ADMIN, owner('admin'));
const SYSTEM_MEMBER_OR_OWNER_ADMIN = anyOf(SYSTEM_MEMBER, owner('admin'));
const SYSTEM_MEMBER_OR_OWNER_MEMBER = anyOf(SYSTEM_MEMBER, owner('member'));
const SYSTEM_OR_OWNER_READER = anyOf(SYSTEM_READER, owner('reader'));
const SYSTEM_MEMBER_OR_OWNER_LESSEE_ADMIN = anyOf(SYSTEM_MEMBER, owner('admin'), lessee('admin'));
const API_READER = anyScope('reader');

/**
 * Policy name → who passes. Names and defaults are Ironic's; `ingot:*` names are Ingot's own
 * (for routes Ironic has no rule for).
 */
export const POLICIES = {
  // Nodes.
  'baremetal:node:create': SYSTEM_ADMIN,
  'baremetal:node:create:self_owned_node': anyScope('admin'),
  'baremetal:node:list': API_READER,
  'baremetal:node:list_all': SYSTEM_READER,
  'baremetal:node:get': SYSTEM_OR_PROJECT_READER,
  'baremetal:node:get:filter_threshold': SYSTEM_READER,
  'baremetal:node:get:last_error': SYSTEM_OR_OWNER_READER,
  'baremetal:node:get:reservation': SYSTEM_OR_OWNER_READER,
  'baremetal:node:get:driver_internal_info': SYSTEM_OR_OWNER_READER,
  'baremetal:node:get:driver_info': SYSTEM_OR_OWNER_READER,
  'baremetal:node:update': SYSTEM_OR_PROJECT_MEMBER,
  'baremetal:node:update_extra': SYSTEM_OR_PROJECT_MEMBER,
  'baremetal:node:update_instance_info': SYSTEM_OR_OWNER_MEMBER_AND_LESSEE_ADMIN,
  'baremetal:node:update:driver_info': SYSTEM_MEMBER_OR_OWNER_MEMBER,
  'baremetal:node:update:properties': SYSTEM_MEMBER_OR_OWNER_MEMBER,
  'baremetal:node:update:chassis_uuid': SYSTEM_ADMIN,
  'baremetal:node:update:instance_uuid': SYSTEM_MEMBER_OR_OWNER_MEMBER,
  'baremetal:node:update:lessee': SYSTEM_MEMBER_OR_OWNER_MEMBER,
  'baremetal:node:update:owner': SYSTEM_MEMBER,
  'baremetal:node:update:driver_interfaces': SYSTEM_MEMBER_OR_OWNER_ADMIN,
  'baremetal:node:update:network_data': SYSTEM_MEMBER_OR_OWNER_MEMBER,
  'baremetal:node:update:conductor_group': SYSTEM_MEMBER,
  'baremetal:node:update:name': SYSTEM_MEMBER_OR_OWNER_MEMBER,
  'baremetal:node:update:retired': SYSTEM_MEMBER_OR_OWNER_MEMBER,
  'baremetal:node:update:shard': SYSTEM_ADMIN,
  'baremetal:node:update:parent_node': SYSTEM_MEMBER,
  'baremetal:node:disable_cleaning': SYSTEM_ADMIN,
  'baremetal:node:delete': SYSTEM_ADMIN,
  'baremetal:node:delete:self_owned_node': owner('admin'),
  'baremetal:node:validate': SYSTEM_OR_OWNER_MEMBER_AND_LESSEE_ADMIN,
  'baremetal:node:set_maintenance': SYSTEM_OR_OWNER_MEMBER_AND_LESSEE_ADMIN,
  'baremetal:node:clear_maintenance': SYSTEM_OR_OWNER_MEMBER_AND_LESSEE_ADMIN,
  'baremetal:node:get_boot_device': SYSTEM_MEMBER_OR_OWNER_ADMIN,
  'baremetal:node:set_boot_device': SYSTEM_MEMBER_OR_OWNER_ADMIN,
  'baremetal:node:inject_nmi': SYSTEM_MEMBER_OR_OWNER_ADMIN,
  'baremetal:node:get_indicator_state': SYSTEM_OR_PROJECT_READER,
  'baremetal:node:set_indicator_state': SYSTEM_MEMBER_OR_OWNER_MEMBER,
  'baremetal:node:get_states': SYSTEM_OR_PROJECT_READER,
  'baremetal:node:set_power_state': SYSTEM_OR_PROJECT_MEMBER,
  'baremetal:node:set_boot_mode': SYSTEM_OR_PROJECT_MEMBER,
  'baremetal:node:set_secure_boot': SYSTEM_OR_PROJECT_MEMBER,
  'baremetal:node:set_provision_state': SYSTEM_OR_OWNER_MEMBER_AND_LESSEE_ADMIN,
  'baremetal:node:set_raid_state': SYSTEM_MEMBER_OR_OWNER_MEMBER,
  'baremetal:node:get_console': SYSTEM_MEMBER_OR_OWNER_MEMBER,
  'baremetal:node:set_console_state': SYSTEM_MEMBER_OR_OWNER_MEMBER,
  'baremetal:node:vif:list': SYSTEM_OR_PROJECT_READER,
  'baremetal:node:vif:attach': SYSTEM_OR_OWNER_MEMBER_AND_LESSEE_ADMIN,
  'baremetal:node:vif:detach': SYSTEM_OR_OWNER_MEMBER_AND_LESSEE_ADMIN,
  'baremetal:node:traits:list': SYSTEM_OR_PROJECT_READER,
  'baremetal:node:traits:set': SYSTEM_MEMBER_OR_OWNER_ADMIN,
  'baremetal:node:traits:delete': SYSTEM_MEMBER_OR_OWNER_ADMIN,
  'baremetal:node:bios:get': SYSTEM_OR_PROJECT_READER,
  'baremetal:node:firmware:get': SYSTEM_OR_PROJECT_READER,
  'baremetal:node:history:get': SYSTEM_OR_OWNER_READER,
  'baremetal:node:inventory:get': SYSTEM_OR_OWNER_READER,
  'baremetal:node:vendor_passthru': SYSTEM_ADMIN,
  'baremetal:node:vmedia:attach': SYSTEM_OR_PROJECT_MEMBER,
  'baremetal:node:vmedia:detach': SYSTEM_OR_PROJECT_MEMBER,
  'baremetal:node:vmedia:get': SYSTEM_OR_PROJECT_MEMBER,
  // Ports and port groups. Project-scoped access to ports outside /v1/nodes/{node}/ports needs the
  // port's node, which is not looked up: project principals are refused there (403).
  'baremetal:port:get': SYSTEM_OR_PROJECT_READER,
  'baremetal:port:list': API_READER,
  'baremetal:port:list_all': SYSTEM_READER,
  'baremetal:port:create': SYSTEM_ADMIN_OR_OWNER_ADMIN,
  'baremetal:port:update': SYSTEM_MEMBER_OR_OWNER_ADMIN,
  'baremetal:port:delete': SYSTEM_ADMIN_OR_OWNER_ADMIN,
  'baremetal:portgroup:get': SYSTEM_OR_PROJECT_READER,
  'baremetal:portgroup:list_all': SYSTEM_READER,
  'baremetal:portgroup:create': SYSTEM_ADMIN_OR_OWNER_ADMIN,
  'baremetal:portgroup:update': SYSTEM_MEMBER_OR_OWNER_ADMIN,
  'baremetal:portgroup:delete': SYSTEM_ADMIN_OR_OWNER_ADMIN,
  // Volume connectors and targets: records of nodes, listed project-filtered below list_all.
  'baremetal:volume:list_all': SYSTEM_READER,
  'baremetal:volume:list': API_READER,
  'baremetal:volume:get': SYSTEM_OR_PROJECT_READER,
  'baremetal:volume:create': SYSTEM_MEMBER_OR_OWNER_LESSEE_ADMIN,
  'baremetal:volume:update': SYSTEM_OR_OWNER_MEMBER_AND_LESSEE_ADMIN,
  'baremetal:volume:delete': SYSTEM_MEMBER_OR_OWNER_LESSEE_ADMIN,
  // Fleet-wide resources: system scope only.
  'baremetal:driver:get': SYSTEM_READER,
  'baremetal:driver:get_properties': SYSTEM_READER,
  'baremetal:driver:get_raid_logical_disk_properties': SYSTEM_READER,
  'baremetal:driver:vendor_passthru': SYSTEM_ADMIN,
  'baremetal:conductor:get': SYSTEM_READER,
  'baremetal:shards:get': SYSTEM_READER,
  'baremetal:chassis:get': SYSTEM_READER,
  'baremetal:chassis:create': SYSTEM_ADMIN,
  'baremetal:chassis:update': SYSTEM_MEMBER,
  'baremetal:chassis:delete': SYSTEM_ADMIN,
  'baremetal:deploy_template:get': SYSTEM_READER,
  'baremetal:deploy_template:create': SYSTEM_ADMIN,
  'baremetal:deploy_template:update': SYSTEM_ADMIN,
  'baremetal:deploy_template:delete': SYSTEM_ADMIN,
  // Allocations: Ironic lets a project create and see its own (owner); Ingot serves them to
  // system-scoped principals for now (a project principal gets 403, as for ports).
  'baremetal:allocation:get': SYSTEM_READER,
  'baremetal:allocation:list_all': SYSTEM_READER,
  'baremetal:allocation:create': SYSTEM_MEMBER,
  'baremetal:allocation:update': SYSTEM_MEMBER,
  'baremetal:allocation:delete': SYSTEM_MEMBER,
  'baremetal:inspection_rule:get': SYSTEM_READER,
  'baremetal:inspection_rule:create': SYSTEM_ADMIN,
  'baremetal:inspection_rule:update': SYSTEM_ADMIN,
  'baremetal:inspection_rule:delete': SYSTEM_ADMIN,
  // A route nobody has written a rule for: readers may read it, only admins may change through it.
  'ingot:default:read': SYSTEM_READER,
  'ingot:default:write': SYSTEM_ADMIN,
} satisfies Record<string, Check>;

export type PolicyName = keyof typeof POLICIES;

export function authorize(
  p: Principal | null | undefined,
  policy: PolicyName,
  node?: NodeTarget,
): boolean {
  return !!p && POLICIES[policy](p, node);
}

/** A route's rule: any one of the policies lets the request through. */
export interface RoutePolicy {
  method: string;
  /** Fastify's URL pattern with every `:param` written `{}`. */
  path: string;
  policies: readonly PolicyName[];
}

const route = (method: string, path: string, ...policies: PolicyName[]): RoutePolicy => ({
  method,
  path,
  policies,
});

/**
 * Each route of /v1 and the policy it needs. Routes under /v1/nodes/{} are checked against the
 * node's owner and lessee (a project-scoped principal who may not see the node gets 404, as in
 * Ironic); a route missing here falls back to ingot:default:read (GET) or ingot:default:write.
 */
export const ROUTE_POLICIES: readonly RoutePolicy[] = [
  route('GET', '/v1/nodes', 'baremetal:node:list'),
  route('GET', '/v1/nodes/detail', 'baremetal:node:list'),
  route('POST', '/v1/nodes', 'baremetal:node:create', 'baremetal:node:create:self_owned_node'),
  route('GET', '/v1/nodes/{}', 'baremetal:node:get'),
  // The fields a patch touches are checked too (nodePatchPolicies).
  route('PATCH', '/v1/nodes/{}', 'baremetal:node:update'),
  route('DELETE', '/v1/nodes/{}', 'baremetal:node:delete', 'baremetal:node:delete:self_owned_node'),
  route('GET', '/v1/nodes/{}/validate', 'baremetal:node:validate'),
  route('GET', '/v1/nodes/{}/states', 'baremetal:node:get_states'),
  route('PUT', '/v1/nodes/{}/states/provision', 'baremetal:node:set_provision_state'),
  route('PUT', '/v1/nodes/{}/states/power', 'baremetal:node:set_power_state'),
  route('PUT', '/v1/nodes/{}/states/boot_mode', 'baremetal:node:set_boot_mode'),
  route('PUT', '/v1/nodes/{}/states/secure_boot', 'baremetal:node:set_secure_boot'),
  route('PUT', '/v1/nodes/{}/states/raid', 'baremetal:node:set_raid_state'),
  route('GET', '/v1/nodes/{}/states/console', 'baremetal:node:get_console'),
  route('PUT', '/v1/nodes/{}/states/console', 'baremetal:node:set_console_state'),
  route('PUT', '/v1/nodes/{}/maintenance', 'baremetal:node:set_maintenance'),
  route('DELETE', '/v1/nodes/{}/maintenance', 'baremetal:node:clear_maintenance'),
  route('GET', '/v1/nodes/{}/management/boot_device', 'baremetal:node:get_boot_device'),
  route('GET', '/v1/nodes/{}/management/boot_device/supported', 'baremetal:node:get_boot_device'),
  route('PUT', '/v1/nodes/{}/management/boot_device', 'baremetal:node:set_boot_device'),
  route('PUT', '/v1/nodes/{}/management/inject_nmi', 'baremetal:node:inject_nmi'),
  route('GET', '/v1/nodes/{}/management/indicators', 'baremetal:node:get_indicator_state'),
  route('GET', '/v1/nodes/{}/management/indicators/{}', 'baremetal:node:get_indicator_state'),
  route('GET', '/v1/nodes/{}/management/indicators/{}/{}', 'baremetal:node:get_indicator_state'),
  route('PUT', '/v1/nodes/{}/management/indicators/{}/{}', 'baremetal:node:set_indicator_state'),
  route('GET', '/v1/nodes/{}/vifs', 'baremetal:node:vif:list'),
  route('POST', '/v1/nodes/{}/vifs', 'baremetal:node:vif:attach'),
  route('DELETE', '/v1/nodes/{}/vifs/{}', 'baremetal:node:vif:detach'),
  route('GET', '/v1/nodes/{}/traits', 'baremetal:node:traits:list'),
  route('PUT', '/v1/nodes/{}/traits', 'baremetal:node:traits:set'),
  route('PUT', '/v1/nodes/{}/traits/{}', 'baremetal:node:traits:set'),
  route('DELETE', '/v1/nodes/{}/traits', 'baremetal:node:traits:delete'),
  route('DELETE', '/v1/nodes/{}/traits/{}', 'baremetal:node:traits:delete'),
  route('GET', '/v1/nodes/{}/bios', 'baremetal:node:bios:get'),
  route('GET', '/v1/nodes/{}/bios/{}', 'baremetal:node:bios:get'),
  route('GET', '/v1/nodes/{}/firmware', 'baremetal:node:firmware:get'),
  route('GET', '/v1/nodes/{}/history', 'baremetal:node:history:get'),
  route('GET', '/v1/nodes/{}/history/{}', 'baremetal:node:history:get'),
  route('GET', '/v1/nodes/{}/inventory', 'baremetal:node:inventory:get'),
  // Ingot extensions: the agent's logs are read like the node; events are filtered per node.
  route('GET', '/v1/nodes/{}/agent_logs', 'baremetal:node:get'),
  route('GET', '/v1/events', 'baremetal:node:list'),
  route('GET', '/v1/nodes/{}/vendor_passthru/methods', 'baremetal:node:vendor_passthru'),
  ...(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const).map((method) =>
    route(method, '/v1/nodes/{}/vendor_passthru', 'baremetal:node:vendor_passthru'),
  ),
  route('GET', '/v1/nodes/{}/volume', 'baremetal:volume:get'),
  route(
    'GET',
    '/v1/nodes/{}/volume/connectors',
    'baremetal:volume:list_all',
    'baremetal:volume:list',
  ),
  route('GET', '/v1/nodes/{}/volume/targets', 'baremetal:volume:list_all', 'baremetal:volume:list'),
  route('GET', '/v1/nodes/{}/vmedia', 'baremetal:node:vmedia:get'),
  route('POST', '/v1/nodes/{}/vmedia', 'baremetal:node:vmedia:attach'),
  route('DELETE', '/v1/nodes/{}/vmedia', 'baremetal:node:vmedia:detach'),
  route('GET', '/v1/nodes/{}/ports', 'baremetal:port:get'),
  route('GET', '/v1/nodes/{}/ports/detail', 'baremetal:port:get'),
  route('GET', '/v1/nodes/{}/portgroups', 'baremetal:portgroup:get'),
  route('GET', '/v1/nodes/{}/portgroups/detail', 'baremetal:portgroup:get'),
  route('GET', '/v1/ports', 'baremetal:port:list_all'),
  route('GET', '/v1/ports/detail', 'baremetal:port:list_all'),
  route('GET', '/v1/ports/{}', 'baremetal:port:get'),
  route('POST', '/v1/ports', 'baremetal:port:create'),
  route('PATCH', '/v1/ports/{}', 'baremetal:port:update'),
  route('DELETE', '/v1/ports/{}', 'baremetal:port:delete'),
  route('GET', '/v1/portgroups', 'baremetal:portgroup:list_all'),
  route('GET', '/v1/portgroups/detail', 'baremetal:portgroup:list_all'),
  route('GET', '/v1/portgroups/{}', 'baremetal:portgroup:get'),
  route('GET', '/v1/portgroups/{}/ports', 'baremetal:port:get'),
  route('GET', '/v1/portgroups/{}/ports/detail', 'baremetal:port:get'),
  route('POST', '/v1/portgroups', 'baremetal:portgroup:create'),
  route('PATCH', '/v1/portgroups/{}', 'baremetal:portgroup:update'),
  route('DELETE', '/v1/portgroups/{}', 'baremetal:portgroup:delete'),
  route('GET', '/v1/drivers', 'baremetal:driver:get'),
  route('GET', '/v1/drivers/{}', 'baremetal:driver:get'),
  route('GET', '/v1/drivers/{}/properties', 'baremetal:driver:get_properties'),
  route(
    'GET',
    '/v1/drivers/{}/raid/logical_disk_properties',
    'baremetal:driver:get_raid_logical_disk_properties',
  ),
  route('GET', '/v1/drivers/{}/vendor_passthru/methods', 'baremetal:driver:vendor_passthru'),
  route('GET', '/v1/conductors', 'baremetal:conductor:get'),
  route('GET', '/v1/conductors/{}', 'baremetal:conductor:get'),
  route('GET', '/v1/shards', 'baremetal:shards:get'),
  route('GET', '/v1/volume', 'baremetal:volume:get'),
  ...(['connectors', 'targets'] as const).flatMap((records) => [
    route('GET', `/v1/volume/${records}`, 'baremetal:volume:list_all', 'baremetal:volume:list'),
    route('GET', `/v1/volume/${records}/{}`, 'baremetal:volume:get'),
    route('POST', `/v1/volume/${records}`, 'baremetal:volume:create'),
    route('PATCH', `/v1/volume/${records}/{}`, 'baremetal:volume:update'),
    route('DELETE', `/v1/volume/${records}/{}`, 'baremetal:volume:delete'),
  ]),
  route('GET', '/v1/chassis', 'baremetal:chassis:get'),
  route('GET', '/v1/chassis/detail', 'baremetal:chassis:get'),
  route('GET', '/v1/chassis/{}', 'baremetal:chassis:get'),
  route('POST', '/v1/chassis', 'baremetal:chassis:create'),
  route('PATCH', '/v1/chassis/{}', 'baremetal:chassis:update'),
  route('DELETE', '/v1/chassis/{}', 'baremetal:chassis:delete'),
  route('GET', '/v1/chassis/{}/nodes', 'baremetal:node:list'),
  route('GET', '/v1/chassis/{}/nodes/detail', 'baremetal:node:list'),
  route('GET', '/v1/deploy_templates', 'baremetal:deploy_template:get'),
  route('GET', '/v1/deploy_templates/{}', 'baremetal:deploy_template:get'),
  route('POST', '/v1/deploy_templates', 'baremetal:deploy_template:create'),
  route('PATCH', '/v1/deploy_templates/{}', 'baremetal:deploy_template:update'),
  route('DELETE', '/v1/deploy_templates/{}', 'baremetal:deploy_template:delete'),
  route('GET', '/v1/allocations', 'baremetal:allocation:list_all'),
  route('GET', '/v1/allocations/{}', 'baremetal:allocation:get'),
  route('POST', '/v1/allocations', 'baremetal:allocation:create'),
  route('PATCH', '/v1/allocations/{}', 'baremetal:allocation:update'),
  route('DELETE', '/v1/allocations/{}', 'baremetal:allocation:delete'),
  route('GET', '/v1/nodes/{}/allocation', 'baremetal:allocation:get'),
  route('DELETE', '/v1/nodes/{}/allocation', 'baremetal:allocation:delete'),
  route('GET', '/v1/inspection_rules', 'baremetal:inspection_rule:get'),
  route('GET', '/v1/inspection_rules/{}', 'baremetal:inspection_rule:get'),
  route('POST', '/v1/inspection_rules', 'baremetal:inspection_rule:create'),
  route('PATCH', '/v1/inspection_rules/{}', 'baremetal:inspection_rule:update'),
  route('DELETE', '/v1/inspection_rules/{}', 'baremetal:inspection_rule:delete'),
  route('DELETE', '/v1/inspection_rules', 'baremetal:inspection_rule:delete'),
];

/**
 * Routes open to everyone: discovery and operations (Ironic's root is public), and the agent's
 * endpoints, which prove themselves with the node's agent token instead.
 */
const PUBLIC_ROUTES: readonly string[] = [
  'GET /',
  'GET /v1',
  'GET /v1/',
  'GET /healthz',
  'GET /metrics',
  'GET /openapi.json',
  'GET /v1/lookup',
  'POST /v1/heartbeat/{}',
  'POST /v1/continue_inspection',
  'POST /v1/continue',
  'POST /v1/agent_logs/{}',
];

/** `/v1/nodes/:node_ident/states` → `/v1/nodes/{}/states`. */
export const normalizePattern = (url: string): string => url.replace(/:[^/]+/g, '{}');

const byKey = new Map(ROUTE_POLICIES.map((r) => [`${r.method} ${r.path}`, r]));

/** HEAD is served by the GET route and needs what GET needs. */
const methodOf = (method: string) => (method === 'HEAD' ? 'GET' : method);

export function isPublicRoute(method: string, pattern: string): boolean {
  const path = normalizePattern(pattern);
  if (path === '/docs' || path.startsWith('/docs/')) return methodOf(method) === 'GET';
  // The console's files and its session (which answers 401 itself): the page asks for the credential.
  if (path === '/console' || path.startsWith('/console/')) return methodOf(method) === 'GET';
  return PUBLIC_ROUTES.includes(`${methodOf(method)} ${path}`);
}

export function routePolicy(method: string, pattern: string): RoutePolicy {
  const m = methodOf(method);
  const path = normalizePattern(pattern);
  return (
    byKey.get(`${m} ${path}`) ??
    route(m, path, m === 'GET' ? 'ingot:default:read' : 'ingot:default:write')
  );
}

/**
 * The policies a node PATCH needs, field by field, as Ironic's _authorize_patch_and_get_node maps
 * them. A `move` takes from its source too, so the source's field counts as changed.
 */
export function nodePatchPolicies(patch: unknown): PolicyName[] {
  const needed = new Set<PolicyName>();
  let generic = false;
  const ops = Array.isArray(patch)
    ? (patch as { op?: unknown; path?: unknown; from?: unknown }[])
    : [];
  for (const op of ops) {
    const paths = [op?.path, op?.op === 'move' ? op?.from : undefined];
    for (const path of paths) {
      if (typeof path !== 'string') continue;
      const policy = fieldPolicy(
        path,
        op.op === 'remove' ? undefined : (op as { value?: unknown }).value,
      );
      if (policy) needed.add(policy);
      else generic = true;
    }
  }
  if (generic || needed.size === 0) needed.add('baremetal:node:update');
  return [...needed];
}

const DRIVER_INTERFACES = new Set<string>(DRIVER_INTERFACE_NAMES);

function fieldPolicy(path: string, value: unknown): PolicyName | undefined {
  const field = path.replace(/^\//, '').split('/')[0] ?? '';
  if (field === 'instance_info') return 'baremetal:node:update_instance_info';
  if (field === 'extra') return 'baremetal:node:update_extra';
  if (field === 'automated_clean' && isFalse(value)) return 'baremetal:node:disable_cleaning';
  if (field === 'driver_info') return 'baremetal:node:update:driver_info';
  if (field === 'properties') return 'baremetal:node:update:properties';
  if (field === 'chassis_uuid') return 'baremetal:node:update:chassis_uuid';
  if (field === 'instance_uuid') return 'baremetal:node:update:instance_uuid';
  if (field === 'lessee') return 'baremetal:node:update:lessee';
  if (field === 'owner') return 'baremetal:node:update:owner';
  if (field === 'driver') return 'baremetal:node:update:driver_interfaces';
  if (field.endsWith('_interface') && DRIVER_INTERFACES.has(field.slice(0, -'_interface'.length)))
    return 'baremetal:node:update:driver_interfaces';
  if (field === 'network_data') return 'baremetal:node:update:network_data';
  if (field === 'conductor_group') return 'baremetal:node:update:conductor_group';
  if (field === 'name') return 'baremetal:node:update:name';
  if (field === 'retired' || field === 'retired_reason') return 'baremetal:node:update:retired';
  if (field === 'shard') return 'baremetal:node:update:shard';
  if (field === 'parent_node') return 'baremetal:node:update:parent_node';
  return undefined;
}

/** oslo's bool_from_string(value) is False: false, 'false', 'off', 'no', '0', 'n', 'f', 0. */
function isFalse(value: unknown): boolean {
  if (value === false || value === 0) return true;
  return (
    typeof value === 'string' &&
    ['false', 'off', 'no', '0', 'n', 'f'].includes(value.trim().toLowerCase())
  );
}
