import type { LifecycleEvent } from '@ingot/lifecycle';
import { transition } from '@ingot/lifecycle';
import type { NodeRow } from '@ingot/store';
import type { ConductorContext } from './context.js';
import type { LeasedNode } from './node-lease.js';
import { provisionTransition, writeNode, type NodeChange } from './node-writer.js';

export interface TransitionOptions {
  /** History text, e.g. "clean step erase_devices_metadata finished". */
  note: string;
  requestId?: string;
  /** null clears last_error; a string sets it; undefined keeps it. */
  lastError?: string | null;
  /** Arms the deadline of a wait state. */
  deadlineInMs?: number;
  /** Extra columns written in the same transaction. */
  set?: NodeChange['set'];
  /** The history row's severity unless last_error is set (ERROR then); INFO by default. */
  severity?: string;
}

/** Applies a lifecycle event to a leased node: checked by the state machine, written with its history and event. */
export async function transitionNode(
  ctx: ConductorContext,
  leased: LeasedNode,
  event: LifecycleEvent,
  opts: TransitionOptions,
): Promise<NodeRow> {
  const node = leased.node;
  const result = transition(node.provisionState, event, {
    currentTarget: node.targetProvisionState,
  });
  if (!result.ok) throw new Error(`Internal: ${result.reason}`);
  const change = provisionTransition(ctx.bus.subjects, node, {
    to: result.to,
    target: result.target,
    event: opts.note,
    lastError: opts.lastError,
    requestId: opts.requestId,
    deadlineAt: opts.deadlineInMs ? new Date(Date.now() + opts.deadlineInMs) : null,
    severity: opts.severity,
  });
  change.set = { ...change.set, ...opts.set };
  return writeNode(ctx.db, leased, opts.requestId, change);
}

/** Writes columns of a leased node without a state change, with an optional history line. */
export async function updateNode(
  ctx: ConductorContext,
  leased: LeasedNode,
  set: NodeChange['set'],
  note?: { eventType: string; event: string; severity?: string },
  requestId?: string,
): Promise<NodeRow> {
  return writeNode(ctx.db, leased, requestId, { set, history: note ? [note] : [] });
}
