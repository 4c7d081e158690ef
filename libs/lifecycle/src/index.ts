// @ingot/lifecycle: Ironic's provision state machine, pure. (state, event) -> (state, target, effects).
export {
  API_EVENTS,
  CONDUCTOR_EVENTS,
  LIFECYCLE_EVENTS,
  isLifecycleEvent,
  type ApiEvent,
  type ConductorEvent,
  type LifecycleEvent,
} from './events.js';
export { verbToEvent } from './verbs.js';
export { TRANSITIONS, type TransitionRow } from './table.js';
export {
  FAILED_STATES,
  HOLD_STATES,
  STABLE_STATES,
  WAIT_STATES,
  failedStateFor,
  isFailedState,
  isHoldState,
  isStable,
  isWaitState,
} from './classes.js';
export {
  DELETE_ALLOWED_STATES,
  FASTTRACK_LOOKUP_ALLOWED_STATES,
  LOOKUP_ALLOWED_STATES,
  STUCK_STATES_TREATED_AS_FAIL,
  isDeleteAllowed,
} from './constants.js';
export { defaultTarget } from './targets.js';
export { operationOf, type Effect, type Operation } from './effects.js';
export { allowedEvents, allowedVerbs, isVerbAllowed } from './allowed.js';
export {
  applyVerb,
  transition,
  type TransitionOk,
  type TransitionOptions,
  type TransitionRejected,
  type TransitionResult,
} from './transition.js';
export {
  IMPLEMENTED_OPERATIONS,
  RUNNING_STATE,
  conductorCanCarryOut,
  isImplementedOperation,
  type ImplementedOperation,
} from './operations.js';
