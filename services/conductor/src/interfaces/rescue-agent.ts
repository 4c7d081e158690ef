import { rescueWithAgent, unrescueWithAgent } from '../operations/agent-rescue.js';
import type { RescueInterface } from './types.js';

/**
 * agent (Ironic's AgentRescue): the agent ramdisk boots, sets the rescue user's password at its
 * first heartbeat (operations/agent-wait.ts) and stops, leaving the ramdisk to the rescue user;
 * unrescue boots the instance from its disk again.
 */
export const agentRescue: RescueInterface = {
  name: 'agent',
  rescue: rescueWithAgent,
  unrescue: unrescueWithAgent,
};
