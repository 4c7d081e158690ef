import { BmcCommandSchema, type BmcCommand, type BmcReply } from '@ingot/contracts';
import { BmcError, type HardwareType } from '@ingot/drivers';
import { siteToken, startResponder, type Bus, type RunningConsumer } from '@ingot/bus';
import { openInfrastructure } from '@ingot/service';
import { forgetHandledBefore, getNode, isHandled, markHandled, type SecretBox } from '@ingot/store';
import { counter, histogram, type Logger } from '@ingot/telemetry';
import type { PowerWorkerConfig } from './config.js';
import { executeBmcCommand } from './execute.js';
import { HardwareCache } from './hardware-cache.js';

const POWER_INBOX = 'power';
const bmcCalls = counter('ingot_bmc_commands_total', 'BMC commands run, by type and outcome', [
  'type',
  'outcome',
]);
const bmcSeconds = histogram(
  'ingot_bmc_command_seconds',
  'Time to run a BMC command',
  ['type'],
  [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
);
// Whose nodes this worker touched, by the site in the node's row rather than the subject it
// listens on: a benchmark or an operator can check that a site's workers stay on its nodes.
const nodeCommands = counter(
  'ingot_power_node_commands_total',
  "BMC commands answered, by the site (conductor_group) of the command's node and type",
  ['node_site', 'type'],
);

/**
 * Rebooting twice is harmful, so those commands run at most once, even if the first one died; so
 * does an NMI (a second one can interrupt the crash dump the first started).
 */
const AT_MOST_ONCE = new Set(['rebooting', 'soft rebooting']);

/**
 * Commands that change the server. Each is idempotent on its own but not in a sequence: a
 * 'power off' delivered again after its answer let the conductor go on to 'power on' (an
 * acknowledgement lost with a killed worker, or NATS restarted before it stored it) would turn a
 * deployed server off. So one that was carried out is recorded and never carried out again.
 */
const CHANGES_SERVER = new Set<BmcCommand['type']>([
  'bmc.set_power',
  'bmc.set_boot_device',
  'bmc.insert_media',
  'bmc.eject_media',
  'bmc.set_secure_boot',
  'bmc.set_boot_mode',
  'bmc.bios_apply',
  'bmc.bios_factory_reset',
  'bmc.firmware_update',
  'bmc.raid_create',
  'bmc.raid_delete',
]);

/** How long a carried-out command is remembered: far beyond any command's expiry (minutes). */
const REMEMBER_HANDLED_MS = 24 * 3600_000;
const FORGET_EVERY_MS = 3600_000;

export interface RunningPowerWorker {
  /** Stops within about `graceMs`: unfinished commands go back to the stream (RunningConsumer.stop). */
  stop(graceMs?: number): Promise<void>;
  bus: Bus;
}

/** Starts a BMC worker of one site: it consumes the site's power commands and answers each. */
export async function startPowerWorker(
  config: PowerWorkerConfig,
  box: SecretBox,
  logger: Logger,
): Promise<RunningPowerWorker> {
  const infra = await openInfrastructure({
    name: config.id,
    databaseUrl: config.databaseUrl,
    bus: config.bus,
    logger,
    relay: false,
  });
  const { database, bus } = infra;
  const hardware = new HardwareCache(box, config.hardwareCacheSize);

  async function answer(cmd: BmcCommand): Promise<BmcReply> {
    // The conductor read the node a moment ago: a driver built from the same driver_info is
    // used without reading the node again (one round trip to PostgreSQL less per command).
    const cached = cmd.driver_fingerprint
      ? hardware.lookup(cmd.node_uuid, cmd.driver_fingerprint)
      : undefined;
    const node = cached ? undefined : await getNode(database.db, cmd.node_uuid);
    if (!cached && !node) {
      return {
        command_id: cmd.id,
        ok: false,
        error: { kind: 'not_found', message: `node ${cmd.node_uuid} no longer exists` },
      };
    }
    nodeCommands.inc({
      node_site: siteToken(cached ? cached.site : node!.conductorGroup),
      type: cmd.type,
    });
    const driver = () => (cached ? cached.hardware : hardware.get(node!));
    const changes = CHANGES_SERVER.has(cmd.type);
    const atMostOnce =
      (cmd.type === 'bmc.set_power' && AT_MOST_ONCE.has(cmd.payload.target)) ||
      cmd.type === 'bmc.inject_nmi';
    if (atMostOnce && !(await markHandled(database.db, POWER_INBOX, cmd.id))) {
      logger.warn(
        { node: cmd.node_uuid, type: cmd.type, command: cmd.id },
        `${cmd.type === 'bmc.inject_nmi' ? 'NMI' : 'reboot'} already carried out once; not repeating it`,
      );
      const now = node ?? (await getNode(database.db, cmd.node_uuid));
      return { command_id: cmd.id, ok: true, power_state: now?.powerState ?? undefined };
    }
    if (changes && !atMostOnce && (await isHandled(database.db, POWER_INBOX, cmd.id))) {
      logger.warn(
        { node: cmd.node_uuid, type: cmd.type, command: cmd.id },
        'BMC command delivered again after it was carried out; not repeating it',
      );
      bmcCalls.inc({ type: cmd.type, outcome: 'duplicate' });
      return answerDuplicate(driver(), cmd);
    }
    const stopTimer = bmcSeconds.startTimer({ type: cmd.type });
    try {
      const reply = await executeBmcCommand(driver(), cmd);
      // Recorded only once carried out: a worker that dies before this leaves the command to be
      // run again for its requester, which is still waiting for the answer.
      if (changes && !atMostOnce) await markHandled(database.db, POWER_INBOX, cmd.id);
      bmcCalls.inc({ type: cmd.type, outcome: 'ok' });
      return reply;
    } catch (error) {
      if (!(error instanceof BmcError)) throw error;
      bmcCalls.inc({ type: cmd.type, outcome: error.kind });
      logger.info(
        { node: cmd.node_uuid, type: cmd.type, kind: error.kind, err: error.message },
        'BMC command failed',
      );
      return { command_id: cmd.id, ok: false, error: { kind: error.kind, message: error.message } };
    } finally {
      stopTimer();
    }
  }

  const consumer: RunningConsumer = await startResponder(bus, {
    durable: `power-${siteToken(config.site)}`,
    subject: bus.subjects.power(config.site),
    schema: BmcCommandSchema,
    what: 'BMC command',
    logger,
    concurrency: config.concurrency,
    ackWaitMs: config.ackWaitMs,
    maxDeliver: config.maxDeliver,
    answer,
    giveUpAnswer: (cmd, reason): BmcReply => ({
      command_id: cmd.id,
      ok: false,
      error: { kind: 'protocol', message: `the power worker ${reason}` },
    }),
    onExpired: (cmd) => bmcCalls.inc({ type: cmd.type, outcome: 'expired' }),
  });
  const forget = setInterval(() => {
    forgetHandledBefore(database.db, POWER_INBOX, new Date(Date.now() - REMEMBER_HANDLED_MS)).catch(
      (error: unknown) =>
        logger.warn({ err: String(error) }, 'could not forget old BMC commands; will retry'),
    );
  }, FORGET_EVERY_MS);
  forget.unref();
  logger.info({ worker: config.id, site: config.site || 'default' }, 'power worker started');

  return {
    bus,
    async stop(graceMs?: number) {
      clearInterval(forget);
      await consumer.stop(graceMs);
      await hardware.close();
      await infra.close();
    },
  };
}

/**
 * The answer to a command carried out before: what the server reports now (a read changes
 * nothing), for a requester that may still be waiting because the first answer was lost.
 */
async function answerDuplicate(
  hardware: HardwareType,
  cmd: BmcCommand,
): Promise<Extract<BmcReply, { ok: true }>> {
  const ok = { command_id: cmd.id, ok: true as const };
  try {
    if (cmd.type === 'bmc.set_power')
      return { ...ok, power_state: await hardware.power.getPowerState() };
    if (cmd.type === 'bmc.set_secure_boot')
      return { ...ok, secure_boot: await hardware.management.getSecureBootState() };
    if (cmd.type === 'bmc.set_boot_mode')
      return { ...ok, boot_mode: await hardware.management.getBootMode() };
  } catch (error) {
    if (!(error instanceof BmcError)) throw error;
  }
  return ok;
}
