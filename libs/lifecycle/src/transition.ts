import { PROVISION_STATES, type ProvisionState, type ProvisionVerb } from '@ingot/contracts';
import { allowedVerbs, isVerbAllowed } from './allowed.js';
import { effectsOf, type Effect } from './effects.js';
import { isLifecycleEvent, type LifecycleEvent } from './events.js';
import { findTransition, type TransitionRow } from './table.js';
import { targetAfter } from './targets.js';
import { verbToEvent } from './verbs.js';

export interface TransitionOptions {
  /**
   * The node's `target_provision_state` before the transition. Continuing events keep it
   * (manual cleaning stays aimed at manageable) and `cleaning -done->` goes to it.
   */
  currentTarget?: ProvisionState | null;
}

export interface TransitionOk {
  readonly ok: true;
  readonly from: ProvisionState;
  readonly to: ProvisionState;
  /** The `target_provision_state` to store with `to`; null once a stable state is reached. */
  readonly target: ProvisionState | null;
  readonly effects: Effect[];
}

export interface TransitionRejected {
  readonly ok: false;
  /** A sentence fit for an API error body. */
  readonly reason: string;
}

export type TransitionResult = TransitionOk | TransitionRejected;

const STATE_SET: ReadonlySet<string> = new Set(PROVISION_STATES);

/**
 * Take `event` in `state`: the next state, the target it carries and what the conductor must
 * start, or a reason why the machine has no such edge. Pure: it changes nothing.
 */
export function transition(
  state: ProvisionState,
  event: LifecycleEvent,
  options: TransitionOptions = {},
): TransitionResult {
  if (!STATE_SET.has(state)) return reject(`Unknown provision state '${state}'`);
  if (!isLifecycleEvent(event)) return reject(`Unknown provision event '${event}'`);
  const row = findTransition(state, event);
  if (!row) return reject(notAllowed(event, state));
  return take(row, options.currentTarget);
}

/**
 * Take the event of the API verb `verb` (as `PUT .../states/provision` does): like
 * `transition`, but refuses the edges only the conductor may take, and names the verb the
 * user sent in its reason.
 */
export function applyVerb(
  state: ProvisionState,
  verb: ProvisionVerb,
  options: TransitionOptions = {},
): TransitionResult {
  if (!STATE_SET.has(state)) return reject(`Unknown provision state '${state}'`);
  const row = findTransition(state, verbToEvent(verb));
  if (!row || !isVerbAllowed(state, verb)) return reject(notAllowed(verb, state));
  return take(row, options.currentTarget);
}

function take(row: TransitionRow, currentTarget: ProvisionState | null | undefined): TransitionOk {
  const to = destination(row, currentTarget);
  const target = targetAfter(row, to, currentTarget);
  return {
    ok: true,
    from: row.from,
    to,
    target,
    effects: effectsOf(row.from, row.event, to, target),
  };
}

/**
 * Where `row` leads. One edge depends on the target: cleaning that is done reaches the
 * node's target, `manageable` for manual cleaning (Ironic's conductor sends `manage` there
 * instead, which the table also accepts), `available` otherwise.
 */
function destination(
  row: TransitionRow,
  currentTarget: ProvisionState | null | undefined,
): ProvisionState {
  if (row.from === 'cleaning' && row.event === 'done' && currentTarget === 'manageable') {
    return 'manageable';
  }
  return row.to;
}

function notAllowed(action: string, state: ProvisionState): string {
  const verbs = allowedVerbs(state);
  const allowed = verbs.length > 0 ? verbs.join(', ') : 'none';
  return `Cannot '${action}' a node in state '${state}'; allowed verbs there: ${allowed}`;
}

function reject(reason: string): TransitionRejected {
  return { ok: false, reason };
}
