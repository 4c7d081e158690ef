import { isWaitState, transition } from '@ingot/lifecycle';
import { setActiveSpanAttributes, SpanKind, withDetailSpan } from '@ingot/telemetry';
import { fetchAgent } from '../agent-tls.js';
import type { ConductorContext } from '../context.js';
import { bootInterfaceOf } from '../interfaces/boot.js';
import type { LeasedNode } from '../node-lease.js';
import { transitionNode, updateNode } from '../transition-node.js';
import { failOperation } from './fail.js';
import { OPERATIONS } from './index.js';
import {
  agentVerdict,
  silenceLimitMs,
  type AgentVerdict,
  type RamdiskBoot,
} from './ramdisk-boot.js';

/** How long the agent's own API gets to answer before a silent agent is taken for dead. */
const PROBE_TIMEOUT_MS = 5_000;

const seconds = (ms: number) => Math.round(ms / 1000);

/**
 * The sweeper's check on the agent of a node waiting for it (inspect wait, clean wait, wait
 * call-back), when the check is due (wake_at) and the node is leased. The facts decide, long
 * before the wait's deadline:
 * - no lookup and no heartbeat within INGOT_BOOT_TIMEOUT_S of the boot: the ramdisk never came up
 *   (the server did not boot it, the boot ISO could not be read, the kernel hung);
 * - an agent heard of, then silent for the heartbeat timeout plus the grace, whose own API does not
 *   answer either: it died.
 * Either way the step is run again from its in-progress state, which boots the ramdisk again (a new
 * boot ISO inserted or iPXE configuration written, a new token, a power cycle), up to
 * INGOT_BOOT_ATTEMPTS boots per operation; then the operation fails saying what was tried. Each
 * retry is a WARNING line of the node's history. A node in maintenance is left alone.
 */
export async function checkOnAgent(ctx: ConductorContext, leased: LeasedNode): Promise<void> {
  const node = leased.node;
  const now = new Date();
  if (!isWaitState(node.provisionState) || node.maintenance) return;
  if (!node.wakeAt || node.wakeAt > now) return; // moved on, or rescheduled meanwhile
  const verdict = agentVerdict(ctx.config, node, now);
  if (verdict.kind === 'unwatched') return void (await updateNode(ctx, leased, { wakeAt: null }));
  if (verdict.kind === 'later') return void (await updateNode(ctx, leased, { wakeAt: verdict.at }));
  if (
    verdict.kind === 'silent' &&
    node.agentUrl &&
    (await answers(node.agentUrl, node.agentVerifyCa))
  ) {
    // Heartbeats may be failing on their way (the API down, a network cut); an agent that answers
    // is not rebooted in the middle of its work. The wait's deadline still bounds it.
    ctx.logger.warn(
      { node: node.uuid, agent_url: node.agentUrl, last_contact: verdict.lastContact },
      'the agent stopped heartbeating but its API answers; not rebooting it',
    );
    await updateNode(ctx, leased, {
      wakeAt: new Date(now.getTime() + silenceLimitMs(ctx.config)),
    });
    return;
  }
  const fact = describe(ctx, verdict, node.agentUrl);
  const { boot } = verdict;
  const resumable = transition(node.provisionState, 'resume', {
    currentTarget: node.targetProvisionState,
  });
  const runner = resumable.ok ? OPERATIONS[resumable.to] : undefined;
  if (boot.attempt < ctx.config.bootAttempts && runner) {
    ctx.logger.warn({ node: node.uuid, attempt: boot.attempt }, `${fact}; booting it again`);
    await transitionNode(ctx, leased, 'resume', {
      note: `${fact}; booting the agent ramdisk again (boot ${boot.attempt + 1} of at most ${ctx.config.bootAttempts})`,
      severity: 'WARNING',
    });
    await runner(ctx, leased);
    return;
  }
  await failOperation(
    ctx,
    leased,
    `${capitalise(fact)}; ${whatWasTried(boot, bootInterfaceOf(leased.node).eachRamdiskBoot)}`,
  );
}

function describe(
  ctx: ConductorContext,
  verdict: Extract<AgentVerdict, { kind: 'no contact' | 'silent' }>,
  agentUrl: string | null,
): string {
  const { config } = ctx;
  if (verdict.kind === 'no contact') {
    return `no agent contact (lookup or heartbeat) within ${seconds(config.bootTimeoutMs)} s of ramdisk boot ${verdict.boot.attempt} (at ${verdict.boot.at})`;
  }
  const limit = `${seconds(config.agentHeartbeatTimeoutMs)} s heartbeat timeout + ${seconds(config.agentHeartbeatGraceMs)} s grace`;
  const answer = agentUrl ? ` and its API at ${agentUrl} does not answer` : '';
  return verdict.heartbeated
    ? `the agent stopped heartbeating at ${verdict.lastContact.toISOString()} (nothing since for more than ${limit})${answer}`
    : `the agent looked itself up at ${verdict.lastContact.toISOString()} but never heartbeated (${limit})${answer}`;
}

function whatWasTried(boot: RamdiskBoot, each: string): string {
  const boots = boot.attempt === 1 ? '1 boot' : `${boot.attempt} boots`;
  return `gave up after ${boots} of the agent ramdisk for ${boot.purpose} (${boot.attempt === 1 ? 'with' : 'each with'} ${each})`;
}

const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/**
 * Whether the agent's API answers at all: GET /v1/status (ironic-python-agent's, and Ingot's agent's)
 * needs no token, and any HTTP answer means the agent process is there. An agent that registered a
 * certificate must present it: another process on its address is not it.
 */
async function answers(agentUrl: string, verifyCa: string | null): Promise<boolean> {
  const url = new URL('v1/status', agentUrl.endsWith('/') ? agentUrl : `${agentUrl}/`);
  return withDetailSpan(
    'agent probe status',
    () => ({
      kind: SpanKind.CLIENT,
      attributes: { 'http.request.method': 'GET', 'url.full': url.href },
    }),
    async () => {
      try {
        const response = await fetchAgent(
          url,
          { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) },
          verifyCa,
        );
        setActiveSpanAttributes(() => ({ 'http.response.status_code': response.status }));
        await response.body?.cancel();
        return true;
      } catch {
        setActiveSpanAttributes(() => ({ 'error.type': 'unreachable' }));
        return false;
      }
    },
  );
}
