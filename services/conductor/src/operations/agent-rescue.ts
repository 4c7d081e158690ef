import type { ConductorContext } from '../context.js';
import type { LeasedNode } from '../node-lease.js';
import { transitionNode, updateNode } from '../transition-node.js';
import { StepError } from './fail.js';
import { bootRamdisk, tearDownRamdisk } from './ramdisk.js';
import { hashedRescuePasswordOf, withoutRescuePassword } from './rescue-password.js';
import { disableSecureBoot } from './secure-boot.js';
import { bootInstance } from './instance-boot.js';
import { agentOf, describeError } from './steps.js';

function passwordHashOf(leased: LeasedNode): string {
  const hash = hashedRescuePasswordOf(leased.node);
  if (!hash)
    throw new StepError(
      `Node ${leased.node.uuid} has no instance_info.hashed_rescue_password: ask for the rescue again with a rescue_password`,
    );
  return hash;
}

/**
 * `rescuing` with the agent (Ironic's AgentRescue.rescue): the instance powered off, secure boot
 * off for the ramdisk, the agent ramdisk booted, then `rescue wait` for its heartbeat. Run again
 * (a conductor resuming the node), it boots a new agent.
 */
export async function rescueWithAgent(
  ctx: ConductorContext,
  leased: LeasedNode,
  requestId?: string,
): Promise<void> {
  passwordHashOf(leased);
  const off = await ctx.bmc.call(leased.node, 'bmc.set_power', { target: 'power off' }, requestId);
  await updateNode(ctx, leased, { powerState: off.power_state ?? 'power off' });
  await disableSecureBoot(ctx, leased, requestId);
  await bootRamdisk(ctx, leased, 'rescue', requestId);
  await transitionNode(ctx, leased, 'wait', {
    note: 'waiting for the agent to set up the rescue environment',
    deadlineInMs: ctx.config.rescueWaitTimeoutMs,
    requestId,
  });
}

/**
 * `rescue wait`, at the agent's heartbeat (Ironic's _finalize_rescue): the agent sets the rescue
 * user's password from its hash (rescue.finalize_rescue with hashed: true), then stops serving
 * and heartbeating, its ramdisk left running for the rescue user. The node forgets the agent
 * (token, URL, the boot record the sweeper watches) and the password's hash, and is in `rescue`.
 * The server stays on.
 */
export async function finalizeRescue(
  ctx: ConductorContext,
  leased: LeasedNode,
  requestId?: string,
): Promise<void> {
  const hash = passwordHashOf(leased);
  const answer = await agentOf(ctx, leased).run('rescue.finalize_rescue', {
    rescue_password: hash,
    hashed: true,
  });
  if (answer.command_status !== 'SUCCEEDED')
    throw new StepError(
      `The agent did not set up the rescue environment: rescue.finalize_rescue ${answer.command_status}: ${describeError(answer.command_error)}`,
    );
  await transitionNode(ctx, leased, 'resume', {
    note: 'the agent set the rescue password and stopped',
    requestId,
  });
  // Not powered off: the ramdisk the agent ran in is the rescue environment.
  await tearDownRamdisk(ctx, leased, { powerOff: false, requestId });
  await transitionNode(ctx, leased, 'done', {
    note: 'rescue environment ready: log in as the rescue user',
    lastError: null,
    requestId,
    set: { instanceInfo: withoutRescuePassword(leased.node.instanceInfo) },
  });
}

/**
 * `unrescuing` after an agent rescue (Ironic's AgentRescue.unrescue): the rescue ramdisk powered
 * off and torn down, the instance booted from its disk as servicing ends, `active`.
 */
export async function unrescueWithAgent(
  ctx: ConductorContext,
  leased: LeasedNode,
  requestId?: string,
): Promise<void> {
  const powerState = await bootInstance(ctx, leased, requestId);
  await transitionNode(ctx, leased, 'done', {
    note: 'rescue ended; booting from disk',
    lastError: null,
    requestId,
    set: { powerState, instanceInfo: withoutRescuePassword(leased.node.instanceInfo) },
  });
}
