// The span of a node's wait state (wait call-back, clean wait, inspect wait...): the wait outlives
// the task that began it (a server spends minutes in POST), crosses processes and survives
// restarts, so its trace context and start are kept in the node's driver_internal_info and its
// span is recorded, with that start, by whichever conductor sees the node leave the state. The
// work done for the node while it waits (heartbeats, sweeps) continues the same trace.
import type { ProvisionState } from '@ingot/contracts';
import { isWaitState } from '@ingot/lifecycle';
import type { NodeColumns, NodeRow } from '@ingot/store';
import {
  activeTraceparent,
  contextOfTraceparent,
  linkToActive,
  recordPastSpan,
  spansRecorded,
  withSpan,
} from '@ingot/telemetry';

/** driver_internal_info key of the trace of the wait the node is in. */
export const WAIT_TRACE = 'wait_trace';
/** driver_internal_info key of a deploy waiting for the image cache (see operations/image-wait.ts). */
export const IMAGE_WAIT = 'image_wait';

/** Where a wait's span begins: the task that began the wait, and when. */
export interface WaitTrace {
  /** W3C traceparent of the task that began the wait. */
  traceparent: string;
  /** ISO 8601 time the wait began. */
  since: string;
}

interface StateWaitTrace extends WaitTrace {
  state: ProvisionState;
}

/** Attributes that say which node a span is about. */
export function nodeSpanAttributes(node: NodeRow): Record<string, string> {
  return {
    'ingot.node.uuid': node.uuid,
    'ingot.node.provision_state': node.provisionState,
    'ingot.site': node.conductorGroup || 'default',
  };
}

function stateWaitOf(node: NodeRow): StateWaitTrace | undefined {
  const wait = (node.driverInternalInfo as Record<string, unknown> | null)?.[WAIT_TRACE] as
    Partial<StateWaitTrace> | undefined;
  return isWaitTrace(wait) && (wait as StateWaitTrace).state === node.provisionState
    ? (wait as StateWaitTrace)
    : undefined;
}

function imageWaitOf(node: NodeRow): WaitTrace | undefined {
  const wait = (node.driverInternalInfo as Record<string, unknown> | null)?.[IMAGE_WAIT];
  return isWaitTrace(wait) ? wait : undefined;
}

function isWaitTrace(value: unknown): value is WaitTrace {
  const wait = value as Partial<WaitTrace> | undefined;
  return (
    typeof wait?.traceparent === 'string' &&
    typeof wait.since === 'string' &&
    !Number.isNaN(Date.parse(wait.since))
  );
}

/** The trace context and start of a wait beginning now, or undefined when spans are not exported. */
export function beginWaitTrace(since = new Date()): WaitTrace | undefined {
  const traceparent = spansRecorded() ? activeTraceparent() : undefined;
  return traceparent ? { traceparent, since: since.toISOString() } : undefined;
}

/**
 * Adds to a node write what its wait span needs: the trace and start when it enters a wait state,
 * the record's removal when it leaves one. Other writes keep driver_internal_info's keys (every
 * writer spreads the node's), the record with them.
 */
export function withWaitTrace(before: NodeRow, set: NodeColumns): NodeColumns {
  const to = set.provisionState;
  if (to === undefined || to === before.provisionState) return set;
  const base = (set.driverInternalInfo ?? before.driverInternalInfo ?? {}) as Record<
    string,
    unknown
  >;
  const wait = isWaitState(to) ? beginWaitTrace() : undefined;
  if (!wait && !(WAIT_TRACE in base)) return set;
  const { [WAIT_TRACE]: _left, ...rest } = base;
  const record: StateWaitTrace | undefined = wait && { ...wait, state: to };
  return { ...set, driverInternalInfo: record ? { ...rest, [WAIT_TRACE]: record } : rest };
}

/** Records a wait's span: from its start, in the trace that began it, linked to the task ending it. */
export function recordWaitSpan(
  name: string,
  wait: WaitTrace,
  attributes: Record<string, string | number>,
  error?: string,
): void {
  const parent = spansRecorded() ? contextOfTraceparent(wait.traceparent) : undefined;
  if (!parent) return;
  recordPastSpan(name, {
    parent,
    startTime: new Date(wait.since),
    // The task that ended the wait (a heartbeat's, a sweep's) is in a trace of its own.
    links: linkToActive(),
    attributes,
    ...(error ? { error } : {}),
  });
}

/** Records the span of the wait `before` was in, if the write moved the node out of it. */
export function endWaitSpan(before: NodeRow, after: NodeRow): void {
  if (after.provisionState === before.provisionState || !spansRecorded()) return;
  const wait = stateWaitOf(before);
  if (!wait) return;
  const failed = after.provisionState.endsWith('failed') || after.provisionState === 'error';
  recordWaitSpan(
    `node in ${wait.state}`,
    wait,
    { ...nodeSpanAttributes(before), 'ingot.node.next_provision_state': after.provisionState },
    failed ? (after.lastError ?? `left ${wait.state} for ${after.provisionState}`) : undefined,
  );
}

/**
 * Runs the work a node's wait calls for (its agent's heartbeat, a sweep) in the trace of the task
 * that began the wait, as a span linked to the work's own trace: a deploy's trace then holds the
 * agent commands and what follows the wait. Otherwise (no wait, spans not exported) runs fn.
 */
export function inWaitTrace<T>(node: NodeRow, purpose: string, fn: () => Promise<T>): Promise<T> {
  if (!spansRecorded()) return fn();
  const stateWait = stateWaitOf(node);
  const wait = stateWait ?? imageWaitOf(node);
  const parent = wait && contextOfTraceparent(wait.traceparent);
  if (!parent) return fn();
  return withSpan(
    `${purpose} ${stateWait ? `in ${stateWait.state}` : 'waiting for image'}`,
    { parent, links: linkToActive(), attributes: nodeSpanAttributes(node) },
    fn,
  );
}
