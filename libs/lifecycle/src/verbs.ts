import type { ProvisionVerb } from '@ingot/contracts';
import type { ApiEvent } from './events.js';

/**
 * The event an API verb (`PUT /v1/nodes/{id}/states/provision {"target": verb}`) sends,
 * as Ironic's `states.VERBS`: `active` and `deploy` deploy, `deleted` and `undeploy` delete,
 * every other verb sends the event of its own name.
 */
const VERB_EVENTS: Readonly<Record<ProvisionVerb, ApiEvent>> = {
  manage: 'manage',
  provide: 'provide',
  inspect: 'inspect',
  clean: 'clean',
  active: 'deploy',
  deploy: 'deploy',
  rebuild: 'rebuild',
  deleted: 'delete',
  undeploy: 'delete',
  rescue: 'rescue',
  unrescue: 'unrescue',
  adopt: 'adopt',
  abort: 'abort',
  unhold: 'unhold',
  service: 'service',
};

export function verbToEvent(verb: ProvisionVerb): ApiEvent {
  return VERB_EVENTS[verb];
}
