/**
 * The internal events of Ironic's provision state machine (ironic/common/state_machine.py).
 *
 * API verbs map onto the first group (see `verbToEvent`); the conductor alone sends the
 * second group to report the progress of an operation it runs.
 */
export const API_EVENTS = [
  'manage',
  'provide',
  'inspect',
  'clean',
  'deploy',
  'rebuild',
  'delete',
  'rescue',
  'unrescue',
  'adopt',
  'abort',
  'unhold',
  'service',
] as const;

/** Events only the conductor sends: an operation finished, failed, waits, resumes or holds. */
export const CONDUCTOR_EVENTS = ['done', 'fail', 'wait', 'resume', 'hold'] as const;

export const LIFECYCLE_EVENTS = [...API_EVENTS, ...CONDUCTOR_EVENTS] as const;

export type ApiEvent = (typeof API_EVENTS)[number];
export type ConductorEvent = (typeof CONDUCTOR_EVENTS)[number];
export type LifecycleEvent = (typeof LIFECYCLE_EVENTS)[number];

const EVENT_SET: ReadonlySet<string> = new Set(LIFECYCLE_EVENTS);

export function isLifecycleEvent(value: string): value is LifecycleEvent {
  return EVENT_SET.has(value);
}
