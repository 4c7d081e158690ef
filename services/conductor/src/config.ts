import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { busOptionsFromEnv, type BusOptions } from '@ingot/bus';
import { boolFromEnv, intFromEnv, siteFromEnv } from '@ingot/service';
import { databaseUrlFromEnv } from '@ingot/store';

export interface ConductorConfig {
  id: string;
  /** The conductor_group this conductor serves ('' is the default site). */
  site: string;
  databaseUrl: string;
  bus: BusOptions;
  /** How long a node lease lives without renewal; a dead conductor's nodes wait this long. */
  leaseTtlMs: number;
  /** How long to wait for a power worker to answer a BMC command. */
  bmcReplyTimeoutMs: number;
  /** How often to look for nodes left behind by a dead conductor and for passed deadlines. */
  sweepIntervalMs: number;
  ackWaitMs: number;
  maxDeliver: number;
  concurrency: number;
  opsPort: number;
  opsHost: string;
  /** The API URL a ramdisk agent calls back (lookup, heartbeat, inspection). */
  agentApiUrl: string;
  /** How long to wait for the image cache to build a boot ISO or PXE config (not a download). */
  imageReplyTimeoutMs: number;
  /**
   * An image download: the image cache answers within answerWithinMs, "in progress" if need be,
   * and is asked again later, with no lease held between; after timeoutMs the deploy fails.
   */
  imagePrepare: { answerWithinMs: number; timeoutMs: number };
  /** Deadlines of the wait states: no agent news for this long moves the node to its failed state. */
  inspectWaitTimeoutMs: number;
  cleanWaitTimeoutMs: number;
  deployWaitTimeoutMs: number;
  /** `rescue wait`: the rescue ramdisk's agent has this long to heartbeat (Ironic's rescue_callback_timeout). */
  rescueWaitTimeoutMs: number;
  /**
   * How long a ramdisk boot may go without any contact from its agent (a lookup or a heartbeat)
   * before it is booted again; INGOT_BOOT_TIMEOUT_S.
   */
  bootTimeoutMs: number;
  /** Ramdisk boots one operation may use (the first and its retries) before it fails. */
  bootAttempts: number;
  /**
   * The heartbeat timeout the API gives agents (INGOT_AGENT_HEARTBEAT_TIMEOUT_S, the same
   * setting): they heartbeat at 30–60 % of it. An agent heard of before and silent for this long
   * plus the grace is dead, unless its own API still answers.
   */
  agentHeartbeatTimeoutMs: number;
  agentHeartbeatGraceMs: number;
  /**
   * A step that failed because a BMC, a power worker or the image cache could not be reached is
   * run again after a pause (first pause, doubling up to a minute) until this window since its
   * first such failure has passed; then it fails.
   */
  transientRetry: { windowMs: number; firstDelayMs: number };
  /** Automated cleaning on provide and undeploy: metadata (default, as Metal3), full, disabled. */
  automatedClean: 'metadata' | 'full' | 'disabled';
  allowMd5: boolean;
  /** Ironic's sync_power_state: how often, how many BMCs at once, failures before maintenance. */
  powerSync: { intervalMs: number; workers: number; maxRetries: number; force: boolean };
}

export function conductorConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ConductorConfig {
  const site = siteFromEnv(env);
  return {
    id: env.INGOT_CONDUCTOR_ID || `conductor-${hostname()}-${randomBytes(3).toString('hex')}`,
    site,
    databaseUrl: databaseUrlFromEnv(env),
    bus: { ...busOptionsFromEnv(env), name: 'ingot-conductor' },
    leaseTtlMs: intFromEnv(env, 'INGOT_LEASE_TTL_MS', 30_000),
    bmcReplyTimeoutMs: intFromEnv(env, 'INGOT_BMC_REPLY_TIMEOUT_MS', 90_000),
    sweepIntervalMs: intFromEnv(env, 'INGOT_SWEEP_INTERVAL_MS', 5_000),
    ackWaitMs: intFromEnv(env, 'INGOT_ACK_WAIT_MS', 30_000),
    maxDeliver: intFromEnv(env, 'INGOT_MAX_DELIVER', 10),
    concurrency: intFromEnv(env, 'INGOT_CONCURRENCY', 128),
    opsPort: intFromEnv(env, 'INGOT_OPS_PORT', 9102),
    opsHost: env.INGOT_OPS_HOST ?? '127.0.0.1',
    agentApiUrl: env.INGOT_AGENT_API_URL ?? 'http://127.0.0.1:6385',
    imageReplyTimeoutMs: intFromEnv(env, 'INGOT_IMAGE_REPLY_TIMEOUT_MS', 300_000),
    imagePrepare: {
      answerWithinMs: intFromEnv(env, 'INGOT_IMAGE_PREPARE_ANSWER_MS', 5_000),
      timeoutMs: intFromEnv(env, 'INGOT_IMAGE_PREPARE_TIMEOUT_S', 1_800, 1) * 1000,
    },
    inspectWaitTimeoutMs: intFromEnv(env, 'INGOT_INSPECT_WAIT_TIMEOUT_MS', 1_800_000),
    cleanWaitTimeoutMs: intFromEnv(env, 'INGOT_CLEAN_WAIT_TIMEOUT_MS', 1_800_000),
    deployWaitTimeoutMs: intFromEnv(env, 'INGOT_DEPLOY_WAIT_TIMEOUT_MS', 1_800_000),
    rescueWaitTimeoutMs: intFromEnv(env, 'INGOT_RESCUE_WAIT_TIMEOUT_MS', 1_800_000),
    bootTimeoutMs: intFromEnv(env, 'INGOT_BOOT_TIMEOUT_S', 600, 1) * 1000,
    bootAttempts: intFromEnv(env, 'INGOT_BOOT_ATTEMPTS', 3, 1),
    agentHeartbeatTimeoutMs: intFromEnv(env, 'INGOT_AGENT_HEARTBEAT_TIMEOUT_S', 300, 1) * 1000,
    agentHeartbeatGraceMs: intFromEnv(env, 'INGOT_AGENT_HEARTBEAT_GRACE_S', 60) * 1000,
    transientRetry: {
      windowMs: intFromEnv(env, 'INGOT_TRANSIENT_RETRY_WINDOW_S', 300) * 1000,
      firstDelayMs: intFromEnv(env, 'INGOT_TRANSIENT_RETRY_DELAY_MS', 5_000, 1),
    },
    automatedClean: cleanMode(env.INGOT_AUTOMATED_CLEAN),
    allowMd5: boolFromEnv(env, 'INGOT_ALLOW_MD5'),
    powerSync: {
      intervalMs: intFromEnv(env, 'INGOT_POWER_SYNC_INTERVAL_MS', 120_000),
      workers: Math.max(1, intFromEnv(env, 'INGOT_POWER_SYNC_WORKERS', 8)),
      maxRetries: Math.max(1, intFromEnv(env, 'INGOT_POWER_SYNC_MAX_RETRIES', 3)),
      force: boolFromEnv(env, 'INGOT_POWER_SYNC_FORCE'),
    },
  };
}

function cleanMode(value: string | undefined): ConductorConfig['automatedClean'] {
  const mode = value || 'metadata';
  if (mode !== 'metadata' && mode !== 'full' && mode !== 'disabled') {
    throw new Error(`INGOT_AUTOMATED_CLEAN must be metadata, full or disabled, got "${value}"`);
  }
  return mode;
}
