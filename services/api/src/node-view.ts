import type { FastifyRequest } from 'fastify';
import { nodeInterfaces } from '@ingot/contracts';
import { toApiNode, type NodeRow } from '@ingot/store';
import { V } from './api-version.js';
import { redactNode } from './auth/redact.js';
import { fieldAllowed, hardwareOf, NODE_FIELDS, NODE_SUMMARY_FIELDS } from './node-fields.js';
import { maskInstanceInfo } from './routes/agent.js';

/** Ironic adds self/bookmark links to every resource. */
export function links(request: FastifyRequest, path: string) {
  const base = `${request.protocol}://${request.host}`;
  return [
    { href: `${base}/v1/${path}`, rel: 'self' },
    { href: `${base}/${path}`, rel: 'bookmark' },
  ];
}

/**
 * A node as Ironic's API shows it at the request's version: every field the version knows
 * (or only `fields`), with the request principal's redaction, BMC secrets masked, and the
 * state names of older versions ('available' was null before 1.2, 'inspect wait' was
 * 'inspecting' before 1.39). Fields for features Ingot does not have carry the value that says
 * so: no console, no chassis, no RAID, not retired, not protected, no parent node. secure_boot is
 * what the BMC last reported when a deploy or undeploy set it (null: never asked).
 */
export function nodeView(
  request: FastifyRequest,
  row: NodeRow,
  fields?: readonly string[],
): Record<string, unknown> {
  // What the request's principal may see (auth/redact.ts).
  const node = redactNode(request.principal, toApiNode(row));
  const hardware = hardwareOf(row.driver);
  const steps = (row.driverInternalInfo as { clean_step?: unknown; deploy_step?: unknown }) ?? {};
  const full: Record<string, unknown> = {
    uuid: node.uuid,
    name: node.name,
    instance_uuid: (row.instanceInfo.instance_uuid as string | undefined) ?? null,
    instance_info: maskInstanceInfo(node.instance_info),
    driver: node.driver,
    driver_info: node.driver_info,
    driver_internal_info: node.driver_internal_info,
    properties: node.properties,
    extra: node.extra,
    chassis_uuid: null,
    console_enabled: false,
    last_error: node.last_error,
    maintenance: node.maintenance,
    maintenance_reason: node.maintenance_reason,
    fault: row.fault,
    power_state: node.power_state,
    target_power_state: node.target_power_state,
    provision_state: legacyState(node.provision_state, request.apiMinor),
    target_provision_state: node.target_provision_state,
    provision_updated_at: node.provision_updated_at,
    reservation: node.reservation,
    // The conductor working on the node, if one holds it (Ingot has no hash ring).
    conductor: row.leaseOwner && node.reservation === row.leaseOwner ? row.leaseOwner : null,
    conductor_group: node.conductor_group,
    inspection_started_at: null,
    inspection_finished_at: null,
    clean_step: isObject(steps.clean_step) ? steps.clean_step : {},
    deploy_step: isObject(steps.deploy_step) ? steps.deploy_step : {},
    service_step: {},
    raid_config: {},
    target_raid_config: {},
    resource_class: node.resource_class,
    traits: node.traits,
    automated_clean: node.automated_clean,
    protected: false,
    protected_reason: null,
    owner: node.owner,
    lessee: node.lessee,
    description: node.description,
    allocation_uuid: null,
    retired: false,
    retired_reason: null,
    network_data: {},
    boot_mode: node.boot_mode,
    secure_boot: node.secure_boot,
    shard: node.shard,
    parent_node: null,
    disable_power_off: false,
    ...Object.fromEntries(
      Object.entries(nodeInterfaces(hardware, row)).map(([i, impl]) => [`${i}_interface`, impl]),
    ),
    created_at: node.created_at,
    updated_at: node.updated_at,
  };
  const keep = fields ?? NODE_FIELDS;
  const out: Record<string, unknown> = {};
  for (const field of keep) {
    if (field in full && fieldAllowed(field, request.apiMinor)) out[field] = full[field];
  }
  out.links = links(request, `nodes/${row.uuid}`);
  if (fields === undefined) {
    out.ports = links(request, `nodes/${row.uuid}/ports`);
    if (request.apiMinor >= V.LINKS_STATES_PROPERTIES)
      out.states = links(request, `nodes/${row.uuid}/states`);
    if (request.apiMinor >= V.PORTGROUPS_SUBCONTROLLERS)
      out.portgroups = links(request, `nodes/${row.uuid}/portgroups`);
  }
  return out;
}

/** The provision state under its name at `minor`. */
export function legacyState(state: string, minor: number): string | null {
  if (state === 'available' && minor < V.AVAILABLE_STATE) return null;
  if (state === 'inspect wait' && minor < V.INSPECT_WAIT) return 'inspecting';
  return state;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The whole node at the request's version. */
export function nodeDetail(request: FastifyRequest, row: NodeRow) {
  return nodeView(request, row);
}

/** The short form of GET /v1/nodes without detail, as Ironic returns it. */
export function nodeSummary(request: FastifyRequest, row: NodeRow) {
  return nodeView(request, row, NODE_SUMMARY_FIELDS);
}
