import type { FastifyRequest } from 'fastify';
import {
  nodeInterfaces,
  type DriverInterface,
  type Node,
  type NodeViewField,
} from '@ingot/contracts';
import { toApiNode, type NodeRow } from '@ingot/store';
import { V } from './api-version.js';
import { redactNode } from './auth/redact.js';
import { fieldAllowed, hardwareOf, NODE_FIELDS, NODE_SUMMARY_FIELDS } from './node-fields.js';
import { maskInstanceInfo } from './routes/agent.js';

/** Ironic adds self/bookmark links to every resource. */
export function links(request: FastifyRequest, path: string) {
  return linksAt(`${request.protocol}://${request.host}`, path);
}

function linksAt(base: string, path: string) {
  return [
    { href: `${base}/v1/${path}`, rel: 'self' },
    { href: `${base}/${path}`, rel: 'bookmark' },
  ];
}

/** What one node's fields are read from. */
interface NodeSource {
  row: NodeRow;
  /** The node with the principal's redaction applied (auth/redact.ts). */
  node: Node;
  minor: number;
  /** The implementation of each interface, when a `*_interface` field is shown. */
  interfaces?: Record<DriverInterface, string>;
}

/**
 * The step an operation is at (Ironic's clean_step, deploy_step, service_step): the conductor's
 * step progress in driver_internal_info.steps, {} when that operation runs no step.
 */
const stepOf = (row: NodeRow, operation: 'clean' | 'deploy' | 'service') => {
  const progress = (row.driverInternalInfo as { steps?: unknown } | null)?.steps as
    { operation?: unknown; list?: unknown; index?: unknown } | undefined;
  if (progress?.operation !== operation || !Array.isArray(progress.list)) return {};
  const step: unknown = progress.list[typeof progress.index === 'number' ? progress.index : 0];
  return typeof step === 'object' && step !== null && !Array.isArray(step) ? step : {};
};
const interfaceField = (i: DriverInterface) => (s: NodeSource) => s.interfaces?.[i];

/**
 * How each field of a node answer is read. Fields for features Ingot does not have carry the
 * value that says so: no console, no RAID, not retired, not protected, no parent node.
 * secure_boot is what the BMC last reported when a deploy or undeploy set it (null: never asked).
 */
const FIELD_VALUES: Record<NodeViewField, (s: NodeSource) => unknown> = {
  uuid: (s) => s.node.uuid,
  name: (s) => s.node.name,
  instance_uuid: (s) => (s.row.instanceInfo.instance_uuid as string | undefined) ?? null,
  instance_info: (s) => maskInstanceInfo(s.node.instance_info),
  driver: (s) => s.node.driver,
  driver_info: (s) => s.node.driver_info,
  driver_internal_info: (s) => s.node.driver_internal_info,
  properties: (s) => s.node.properties,
  extra: (s) => s.node.extra,
  chassis_uuid: (s) => s.row.chassisUuid,
  console_enabled: () => false,
  last_error: (s) => s.node.last_error,
  maintenance: (s) => s.node.maintenance,
  maintenance_reason: (s) => s.node.maintenance_reason,
  fault: (s) => s.row.fault,
  power_state: (s) => s.node.power_state,
  target_power_state: (s) => s.node.target_power_state,
  provision_state: (s) => legacyState(s.node.provision_state, s.minor),
  target_provision_state: (s) => s.node.target_provision_state,
  provision_updated_at: (s) => s.node.provision_updated_at,
  reservation: (s) => s.node.reservation,
  // The conductor working on the node, if one holds it (Ingot has no hash ring).
  conductor: (s) =>
    s.row.leaseOwner && s.node.reservation === s.row.leaseOwner ? s.row.leaseOwner : null,
  conductor_group: (s) => s.node.conductor_group,
  inspection_started_at: () => null,
  inspection_finished_at: () => null,
  clean_step: (s) => stepOf(s.row, 'clean'),
  deploy_step: (s) => stepOf(s.row, 'deploy'),
  service_step: (s) => stepOf(s.row, 'service'),
  raid_config: (s) => s.row.raidConfig ?? {},
  target_raid_config: (s) => s.row.targetRaidConfig ?? {},
  resource_class: (s) => s.node.resource_class,
  traits: (s) => s.node.traits,
  automated_clean: (s) => s.node.automated_clean,
  protected: () => false,
  protected_reason: () => null,
  owner: (s) => s.node.owner,
  lessee: (s) => s.node.lessee,
  description: (s) => s.node.description,
  allocation_uuid: (s) => s.row.allocationUuid,
  retired: () => false,
  retired_reason: () => null,
  network_data: () => ({}),
  boot_mode: (s) => s.node.boot_mode,
  secure_boot: (s) => s.node.secure_boot,
  shard: (s) => s.node.shard,
  parent_node: () => null,
  disable_power_off: () => false,
  bios_interface: interfaceField('bios'),
  boot_interface: interfaceField('boot'),
  console_interface: interfaceField('console'),
  deploy_interface: interfaceField('deploy'),
  firmware_interface: interfaceField('firmware'),
  inspect_interface: interfaceField('inspect'),
  management_interface: interfaceField('management'),
  network_interface: interfaceField('network'),
  power_interface: interfaceField('power'),
  raid_interface: interfaceField('raid'),
  rescue_interface: interfaceField('rescue'),
  storage_interface: interfaceField('storage'),
  vendor_interface: interfaceField('vendor'),
  created_at: (s) => s.node.created_at,
  updated_at: (s) => s.node.updated_at,
};

/** Which fields an answer shows, per version and `fields`; worked out once per combination. */
interface ViewPlan {
  fields: NodeViewField[];
  interfaces: boolean;
  resourceLinks: boolean;
  /** Builds the answer's fields as one object literal (see compileView). */
  build: (source: NodeSource) => Record<string, unknown>;
}

/**
 * A function that returns the plan's fields as one object literal, in order. Assigning some 60
 * keys one by one in a loop turns each answer into a slow dictionary-mode object (the garbage
 * collector and JSON.stringify then took most of a 1000-node list's time); a literal of fixed
 * shape is built and serialized in a fraction of it. The keys are names from FIELD_VALUES only.
 */
function compileView(fields: readonly NodeViewField[]): ViewPlan['build'] {
  const getters = fields.map((field) => FIELD_VALUES[field]);
  const body = fields.map((field, i) => `${JSON.stringify(field)}: get[${i}](source)`).join(',\n');
  const make = new Function('get', `return (source) => ({\n${body}\n});`) as (
    get: typeof getters,
  ) => ViewPlan['build'];
  return make(getters);
}
const plans = new Map<string, ViewPlan>();
const MAX_PLANS = 512;

function planFor(minor: number, fields: readonly string[] | undefined): ViewPlan {
  const key = `${minor}:${fields?.join(',') ?? '*'}`;
  let plan = plans.get(key);
  if (!plan) {
    const shown = (fields ?? NODE_FIELDS).filter(
      (field): field is NodeViewField =>
        Object.hasOwn(FIELD_VALUES, field) && fieldAllowed(field, minor),
    );
    plan = {
      fields: shown,
      build: compileView(shown),
      interfaces: shown.some((field) => field.endsWith('_interface')),
      resourceLinks: fields === undefined,
    };
    // `fields` is checked against the known names before it gets here; the bound is for the
    // number of their combinations a client could send.
    if (plans.size >= MAX_PLANS) plans.clear();
    plans.set(key, plan);
  }
  return plan;
}

/**
 * Nodes as Ironic's API shows them at the request's version: every field the version knows (or
 * only `fields`), with the request principal's redaction, BMC secrets masked, and the state names
 * of older versions ('available' was null before 1.2, 'inspect wait' was 'inspecting' before 1.39).
 */
export function nodeViews(
  request: FastifyRequest,
  rows: readonly NodeRow[],
  fields?: readonly string[],
): Record<string, unknown>[] {
  const minor = request.apiMinor;
  const plan = planFor(minor, fields);
  const base = `${request.protocol}://${request.host}`;
  return rows.map((row) => {
    const source: NodeSource = { row, node: redactNode(request.principal, toApiNode(row)), minor };
    if (plan.interfaces) source.interfaces = nodeInterfaces(hardwareOf(row.driver), row);
    const out = plan.build(source);
    out.links = linksAt(base, `nodes/${row.uuid}`);
    if (plan.resourceLinks) {
      out.ports = linksAt(base, `nodes/${row.uuid}/ports`);
      if (minor >= V.LINKS_STATES_PROPERTIES)
        out.states = linksAt(base, `nodes/${row.uuid}/states`);
      if (minor >= V.PORTGROUPS_SUBCONTROLLERS)
        out.portgroups = linksAt(base, `nodes/${row.uuid}/portgroups`);
    }
    return out;
  });
}

/** One node (see nodeViews). */
export function nodeView(
  request: FastifyRequest,
  row: NodeRow,
  fields?: readonly string[],
): Record<string, unknown> {
  return nodeViews(request, [row], fields)[0]!;
}

/** The provision state under its name at `minor`. */
export function legacyState(state: string, minor: number): string | null {
  if (state === 'available' && minor < V.AVAILABLE_STATE) return null;
  if (state === 'inspect wait' && minor < V.INSPECT_WAIT) return 'inspecting';
  return state;
}

/** The whole node at the request's version. */
export function nodeDetail(request: FastifyRequest, row: NodeRow) {
  return nodeView(request, row);
}

/** The short form of GET /v1/nodes without detail, as Ironic returns it. */
export function nodeSummary(request: FastifyRequest, row: NodeRow) {
  return nodeView(request, row, NODE_SUMMARY_FIELDS);
}
