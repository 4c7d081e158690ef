import { PROVISION_VERBS, type ProvisionState, type ProvisionVerb } from '@ingot/contracts';
import type { LifecycleEvent } from './events.js';
import { findTransition, transitionsFrom } from './table.js';
import { verbToEvent } from './verbs.js';

/** Every event the machine accepts in `state`, the conductor's included, in table order. */
export function allowedEvents(state: ProvisionState): LifecycleEvent[] {
  return transitionsFrom(state).map((r) => r.event);
}

/** Whether a user may send `verb` to a node in `state` (conductor-only edges excluded). */
export function isVerbAllowed(state: ProvisionState, verb: ProvisionVerb): boolean {
  const row = findTransition(state, verbToEvent(verb));
  return row !== undefined && !row.internal;
}

/**
 * The API verbs a user may send to a node in `state`, in PROVISION_VERBS order, aliases
 * included (`available` allows manage, active and deploy). Never done/fail/wait/resume/hold,
 * nor the edges only the conductor takes (`deleting -clean->`, `cleaning -manage->`).
 */
export function allowedVerbs(state: ProvisionState): ProvisionVerb[] {
  return PROVISION_VERBS.filter((verb) => isVerbAllowed(state, verb));
}
