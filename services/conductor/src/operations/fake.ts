import type { ConductorContext } from '../context.js';
import type { LeasedNode } from '../node-lease.js';
import { transitionNode } from '../transition-node.js';
import { withoutRescuePassword } from './rescue-password.js';
import { configureSecureBoot, instanceBootDevice } from './secure-boot.js';

/**
 * Ironic's fake deploy, clean and inspect interfaces: nothing runs on the node, so each operation
 * finishes at once. The states the node passes through are those of the agent path; power still
 * goes through the site's (fake) power worker.
 */

/** `inspecting` with a fake inspect interface: nothing to learn, straight back to manageable. */
export async function fakeInspect(
  ctx: ConductorContext,
  leased: LeasedNode,
  requestId?: string,
): Promise<void> {
  await transitionNode(ctx, leased, 'done', {
    note: 'fake inspection finished',
    lastError: null,
    requestId,
  });
}

/** `cleaning` with a fake deploy interface: no steps to run; power off as after real cleaning. */
export async function fakeClean(
  ctx: ConductorContext,
  leased: LeasedNode,
  requestId?: string,
): Promise<void> {
  const off = await ctx.bmc.call(leased.node, 'bmc.set_power', { target: 'power off' }, requestId);
  await transitionNode(ctx, leased, 'done', {
    note: 'fake cleaning finished',
    lastError: null,
    requestId,
    set: { powerState: off.power_state ?? 'power off' },
  });
}

/**
 * `deploying` with a fake deploy interface: deploying → wait call-back → deploying → active with
 * no image download and no agent, then the disk as boot device, secure boot as asked, and power on,
 * as a real deploy ends.
 */
export async function fakeDeploy(
  ctx: ConductorContext,
  leased: LeasedNode,
  requestId?: string,
): Promise<void> {
  if (leased.node.provisionState === 'deploying') {
    // Armed as on the agent path: if this conductor dies right here, the deadline fails the node.
    await transitionNode(ctx, leased, 'wait', {
      note: 'fake deploy: no agent to wait for',
      deadlineInMs: ctx.config.deployWaitTimeoutMs,
      requestId,
    });
  }
  await transitionNode(ctx, leased, 'resume', { note: 'fake deploy: nothing to write', requestId });
  await ctx.bmc.call(
    leased.node,
    'bmc.set_boot_device',
    instanceBootDevice(leased.node),
    requestId,
  );
  await configureSecureBoot(ctx, leased, requestId);
  const on = await ctx.bmc.call(leased.node, 'bmc.set_power', { target: 'power on' }, requestId);
  await transitionNode(ctx, leased, 'done', {
    note: 'fake deploy finished; booting from disk',
    lastError: null,
    requestId,
    set: { powerState: on.power_state ?? 'power on' },
  });
}

/**
 * `rescuing` with a fake rescue interface (Ironic's FakeRescue): nothing boots, the node is in
 * `rescue` at once, its password forgotten as after a real rescue.
 */
export async function fakeRescue(
  ctx: ConductorContext,
  leased: LeasedNode,
  requestId?: string,
): Promise<void> {
  await transitionNode(ctx, leased, 'done', {
    note: 'fake rescue finished',
    lastError: null,
    requestId,
    set: { instanceInfo: withoutRescuePassword(leased.node.instanceInfo) },
  });
}

/** `unrescuing` with a fake rescue interface: back to `active` at once. */
export async function fakeUnrescue(
  ctx: ConductorContext,
  leased: LeasedNode,
  requestId?: string,
): Promise<void> {
  await transitionNode(ctx, leased, 'done', {
    note: 'fake unrescue finished',
    lastError: null,
    requestId,
  });
}
