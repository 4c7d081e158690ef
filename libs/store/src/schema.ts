import {
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import type { PowerState, PowerTarget, ProvisionState } from '@ingot/contracts';

const now = () => timestamp({ withTimezone: true, mode: 'date' }).notNull().defaultNow();
const json = <T>() =>
  jsonb()
    .$type<T>()
    .notNull()
    .default({} as T);

/** One physical server. Column names follow Ironic's node object. */
export const nodes = pgTable(
  'nodes',
  {
    uuid: uuid().primaryKey(),
    name: text().unique(),
    driver: text().notNull(),
    /** driver_info without secrets; the secrets live encrypted in driver_secrets. */
    driverInfo: json<Record<string, unknown>>(),
    /** AES-256-GCM envelope (see crypto.ts) of the secret driver_info keys, or null. */
    driverSecrets: text(),
    driverInternalInfo: json<Record<string, unknown>>(),
    properties: json<Record<string, unknown>>(),
    instanceInfo: json<Record<string, unknown>>(),
    extra: json<Record<string, unknown>>(),
    /** Ironic's node traits (e.g. CUSTOM_GPU), set by inspection rules or the API. */
    traits: jsonb().$type<string[]>().notNull().default([]),
    conductorGroup: text().notNull().default(''),
    resourceClass: text(),
    description: text(),
    owner: text(),
    lessee: text(),
    bootMode: text(),
    /**
     * Ironic's automated_clean (API 1.47): true cleans on provide/undeploy, false skips it, null
     * follows the conductor's INGOT_AUTOMATED_CLEAN.
     */
    automatedClean: boolean(),
    /** Ironic's secure_boot: UEFI secure boot as the BMC last reported it; null when unknown. */
    secureBoot: boolean(),
    /** The boot interface the node chose (boot_interface); null means its hardware type's default. */
    bootInterface: text(),
    /** The inspect interface the node chose (inspect_interface); null means the default. */
    inspectInterface: text(),
    /** The RAID interface the node chose (raid_interface: agent, no-raid); null means the default. */
    raidInterface: text(),
    /** The BIOS interface the node chose (bios_interface); null means the default. */
    biosInterface: text(),
    /** The firmware interface the node chose (firmware_interface); null means the default. */
    firmwareInterface: text(),
    /** Ironic's shard (API 1.82): a label clients use to split the fleet between them. */
    shard: text(),
    /** The chassis the node is in (Ironic's chassis_uuid); a chassis with nodes is not deleted. */
    chassisUuid: uuid().references(() => chassis.uuid),
    /**
     * The allocation that reserved the node (Ironic's allocation_uuid, API 1.52). Written with the
     * allocation's node_uuid in one transaction (see allocations.ts); no foreign key, so that a
     * node and its allocation can point at each other.
     */
    allocationUuid: uuid(),
    /** The RAID configuration the node has (Ironic's raid_config), written by the RAID steps. */
    raidConfig: json<Record<string, unknown>>(),
    /** The RAID configuration asked for (PUT .../states/raid), built by create_configuration. */
    targetRaidConfig: json<Record<string, unknown>>(),
    provisionState: text().$type<ProvisionState>().notNull().default('enroll'),
    targetProvisionState: text().$type<ProvisionState>(),
    provisionUpdatedAt: timestamp({ withTimezone: true, mode: 'date' }),
    /** When the current wait or step gives up; null when nothing is in progress. */
    deadlineAt: timestamp({ withTimezone: true, mode: 'date' }),
    powerState: text().$type<PowerState>(),
    targetPowerState: text().$type<PowerTarget>(),
    lastError: text(),
    maintenance: boolean().notNull().default(false),
    maintenanceReason: text(),
    /** Why Ingot itself put the node in maintenance (Ironic's fault: 'power failure'). */
    fault: text(),
    /** The conductor that holds the node, and until when (Ironic's `reservation`). */
    leaseOwner: text(),
    leaseExpiresAt: timestamp({ withTimezone: true, mode: 'date' }),
    leasePurpose: text(),
    /**
     * The one-time agent token of the current ramdisk operation (Ironic's agent_secret_token),
     * never in clear (see agent-token.ts): its SHA-256, which agents' requests are checked
     * against, and the token sealed with INGOT_SECRET_KEY for the conductor, which sends it to the
     * agent's command API. Never returned by the API; wiped when the operation ends.
     */
    agentTokenHash: text(),
    agentTokenSealed: text(),
    agentTokenPregenerated: boolean().notNull().default(false),
    /** The agent's callback_url, pinned by its first heartbeat. */
    agentUrl: text(),
    /**
     * The self-signed certificate (PEM) the agent serves its https callback_url with (Ironic's
     * driver_internal_info.agent_verify_ca, IPA's auto TLS): pinned with the URL, the only one the
     * conductor trusts for that agent; wiped with the URL and token.
     */
    agentVerifyCa: text(),
    agentVersion: text(),
    agentLastHeartbeat: timestamp({ withTimezone: true, mode: 'date' }),
    /**
     * When the agent of the current ramdisk boot last looked itself up (GET /v1/lookup). The
     * conductor clears it, and agent_last_heartbeat, as it boots the ramdisk: either set means
     * this boot's agent made contact.
     */
    agentContactAt: timestamp({ withTimezone: true, mode: 'date' }),
    /**
     * When a conductor's sweeper next looks at the node on its own: in a wait state, to check on
     * its agent (boot timeout, heartbeats); in an in-progress state, to run its step again after a
     * transient failure. Null when nothing is scheduled.
     */
    wakeAt: timestamp({ withTimezone: true, mode: 'date' }),
    createdAt: now(),
    updatedAt: timestamp({ withTimezone: true, mode: 'date' }),
  },
  (t) => [
    index('nodes_site_state_idx').on(t.conductorGroup, t.provisionState),
    index('nodes_chassis_idx').on(t.chassisUuid),
    index('nodes_deadline_idx').on(t.deadlineAt),
    index('nodes_wake_idx')
      .on(t.wakeAt)
      .where(sql`${sql.identifier('wake_at')} IS NOT NULL`),
  ],
);

/** A chassis (Ironic's): a grouping of nodes with a description; nodes name it by chassis_uuid. */
export const chassis = pgTable('chassis', {
  uuid: uuid().primaryKey(),
  description: text(),
  extra: json<Record<string, unknown>>(),
  createdAt: now(),
  updatedAt: timestamp({ withTimezone: true, mode: 'date' }),
});

/** One step of a deploy template, as Ironic stores it (priority 0 disables the step). */
export interface DeployTemplateStep {
  interface: string;
  step: string;
  args: Record<string, unknown>;
  priority: number;
}

/**
 * Deploy templates (Ironic API 1.55): deploy steps added to a deployment when the instance's
 * traits name the template.
 */
export const deployTemplates = pgTable('deploy_templates', {
  uuid: uuid().primaryKey(),
  /** A trait name (CUSTOM_…); unique. */
  name: text().notNull().unique(),
  steps: jsonb().$type<DeployTemplateStep[]>().notNull().default([]),
  extra: json<Record<string, unknown>>(),
  createdAt: now(),
  updatedAt: timestamp({ withTimezone: true, mode: 'date' }),
});

/**
 * Allocations (Ironic API 1.52): a request for a node of a resource class with traits, filled by
 * reserving one available node (its allocation_uuid and instance_uuid point back here).
 */
export const allocations = pgTable(
  'allocations',
  {
    uuid: uuid().primaryKey(),
    name: text().unique(),
    /** The reserved node; its deletion deletes the allocation, as in Ironic. */
    nodeUuid: uuid().references(() => nodes.uuid, { onDelete: 'cascade' }),
    /** allocating, active or error. */
    state: text().notNull().default('allocating'),
    lastError: text(),
    resourceClass: text(),
    traits: jsonb().$type<string[]>().notNull().default([]),
    candidateNodes: jsonb().$type<string[]>().notNull().default([]),
    extra: json<Record<string, unknown>>(),
    owner: text(),
    createdAt: now(),
    updatedAt: timestamp({ withTimezone: true, mode: 'date' }),
  },
  (t) => [uniqueIndex('allocations_node_uq').on(t.nodeUuid)],
);

/** A bond of a node's ports (Ironic's port group). */
export const portgroups = pgTable(
  'portgroups',
  {
    uuid: uuid().primaryKey(),
    name: text().unique(),
    nodeUuid: uuid()
      .notNull()
      .references(() => nodes.uuid, { onDelete: 'cascade' }),
    address: text().unique(),
    mode: text().notNull().default('active-backup'),
    properties: json<Record<string, unknown>>(),
    standalonePortsSupported: boolean().notNull().default(true),
    internalInfo: json<Record<string, unknown>>(),
    extra: json<Record<string, unknown>>(),
    createdAt: now(),
    updatedAt: timestamp({ withTimezone: true, mode: 'date' }),
  },
  (t) => [index('portgroups_node_idx').on(t.nodeUuid)],
);

export const ports = pgTable(
  'ports',
  {
    uuid: uuid().primaryKey(),
    nodeUuid: uuid()
      .notNull()
      .references(() => nodes.uuid, { onDelete: 'cascade' }),
    address: text().notNull(),
    /** API 1.88: unique when set. */
    name: text().unique(),
    portgroupUuid: uuid().references(() => portgroups.uuid, { onDelete: 'set null' }),
    pxeEnabled: boolean().notNull().default(true),
    localLinkConnection: json<Record<string, unknown>>(),
    physicalNetwork: text(),
    isSmartnic: boolean().notNull().default(false),
    internalInfo: json<Record<string, unknown>>(),
    extra: json<Record<string, unknown>>(),
    createdAt: now(),
    updatedAt: timestamp({ withTimezone: true, mode: 'date' }),
  },
  (t) => [uniqueIndex('ports_address_uq').on(t.address), index('ports_node_idx').on(t.nodeUuid)],
);

/** Every provision and power transition of a node, with the request that caused it. */
export const nodeHistory = pgTable(
  'node_history',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    uuid: uuid().notNull().defaultRandom(),
    nodeUuid: uuid().notNull(),
    createdAt: now(),
    severity: text().notNull().default('INFO'),
    eventType: text().notNull(),
    event: text().notNull(),
    fromState: text(),
    toState: text(),
    requestId: text(),
    conductor: text(),
    user: text(),
  },
  (t) => [index('node_history_node_idx').on(t.nodeUuid, t.id)],
);

/**
 * Messages written in the same transaction as the state they announce; the relay publishes them
 * to JetStream with Nats-Msg-Id = id so that a re-publish after a crash is dropped as a duplicate.
 */
export const outbox = pgTable(
  'outbox',
  {
    seq: bigserial({ mode: 'number' }).primaryKey(),
    id: text().notNull().unique(),
    subject: text().notNull(),
    payload: jsonb().$type<unknown>().notNull(),
    headers: json<Record<string, string>>(),
    createdAt: now(),
    publishedAt: timestamp({ withTimezone: true, mode: 'date' }),
    attempts: integer().notNull().default(0),
    lastError: text(),
  },
  (t) => [index('outbox_unpublished_idx').on(t.seq).where(sqlUnpublished())],
);

/** The raw hardware inventory an agent reported, as GET /v1/nodes/{id}/inventory returns it. */
/**
 * The firmware components of a node (Ironic's firmware_information, API 1.86): the version first
 * seen, the version now, and the last one flashed by an update step.
 */
export const firmwareComponents = pgTable(
  'firmware_components',
  {
    nodeUuid: uuid()
      .notNull()
      .references(() => nodes.uuid, { onDelete: 'cascade' }),
    component: text().notNull(),
    initialVersion: text(),
    currentVersion: text(),
    lastVersionFlashed: text(),
    createdAt: now(),
    updatedAt: timestamp({ withTimezone: true, mode: 'date' }),
  },
  (t) => [primaryKey({ columns: [t.nodeUuid, t.component] })],
);

/**
 * The BIOS settings of a node as its BMC last reported them (Ironic's bios_settings table, which
 * GET /v1/nodes/{node}/bios reads): refreshed when the node is managed and after a BIOS step.
 */
export const biosSettings = pgTable(
  'bios_settings',
  {
    nodeUuid: uuid()
      .notNull()
      .references(() => nodes.uuid, { onDelete: 'cascade' }),
    name: text().notNull(),
    value: text(),
    attributeType: text(),
    allowableValues: jsonb().$type<string[]>(),
    lowerBound: integer(),
    upperBound: integer(),
    minLength: integer(),
    maxLength: integer(),
    readOnly: boolean(),
    resetRequired: boolean(),
    unique: boolean(),
    createdAt: now(),
    updatedAt: timestamp({ withTimezone: true, mode: 'date' }),
  },
  (t) => [primaryKey({ columns: [t.nodeUuid, t.name] })],
);

export const nodeInventory = pgTable('node_inventory', {
  nodeUuid: uuid()
    .primaryKey()
    .references(() => nodes.uuid, { onDelete: 'cascade' }),
  inventory: jsonb().$type<Record<string, unknown>>().notNull(),
  pluginData: json<Record<string, unknown>>(),
  createdAt: now(),
});

/** Inspection rules (Ironic API 1.96): conditions → actions, applied to every inspected node. */
export const inspectionRules = pgTable('inspection_rules', {
  uuid: uuid().primaryKey(),
  description: text(),
  priority: integer().notNull().default(0),
  sensitive: boolean().notNull().default(false),
  phase: text().notNull().default('main'),
  conditions: jsonb().$type<unknown[]>().notNull().default([]),
  actions: jsonb().$type<unknown[]>().notNull().default([]),
  createdAt: now(),
  updatedAt: timestamp({ withTimezone: true, mode: 'date' }),
});

/** Ids of bus messages a consumer has already acted on: the handler side of exactly-once. */
export const handledMessages = pgTable(
  'handled_messages',
  {
    consumer: text().notNull(),
    messageId: text().notNull(),
    handledAt: now(),
  },
  (t) => [primaryKey({ columns: [t.consumer, t.messageId] })],
);

/** Live service instances, for takeover decisions and `GET /v1/conductors`. */
export const conductors = pgTable('conductors', {
  id: text().primaryKey(),
  hostname: text().notNull(),
  conductorGroup: text().notNull().default(''),
  service: text().notNull(),
  startedAt: now(),
  heartbeatAt: now(),
});

function sqlUnpublished() {
  // Partial index: the relay only ever scans unpublished rows.
  return sql`${sql.identifier('published_at')} IS NULL`;
}

/**
 * What the agent ramdisk logged while it ran on a node (an Ingot extension: Ironic keeps a
 * ramdisk's logs only on failure), redacted before storage and bounded per node: the oldest lines
 * are pruned (libs/store/src/agent-logs.ts). `boot` tells one ramdisk boot's lines from another's.
 */
export const agentLogLines = pgTable(
  'agent_log_lines',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    nodeUuid: uuid()
      .notNull()
      .references(() => nodes.uuid, { onDelete: 'cascade' }),
    at: timestamp({ withTimezone: true, mode: 'date' }).notNull(),
    level: text().notNull(),
    message: text().notNull(),
    boot: text().notNull(),
    receivedAt: now(),
  },
  (t) => [index('agent_log_lines_node_idx').on(t.nodeUuid, t.id)],
);
