import { agentTokenColumns, newAgentToken } from '@ingot/store';
import { BmcCallError } from '../bmc-caller.js';
import { updateNode } from '../transition-node.js';
import {
  agentApiUrlOf,
  inspectionCallbackOf,
  kernelAppendOf,
  NO_AGENT_ENDPOINT,
} from './ramdisk-params.js';
import type { BootInterface } from './types.js';

/**
 * redfish-virtual-media: a per-node boot ISO carrying the agent's configuration and a pregenerated
 * one-time token, inserted into the BMC's virtual CD.
 */
export const virtualMediaBoot: BootInterface = {
  name: 'redfish-virtual-media',
  eachRamdiskBoot: 'a new boot ISO inserted as virtual media and the server power cycled',

  async prepareRamdisk(ctx, leased, purpose, requestId) {
    // Every boot is a new agent, maybe on a new address: the callback URL is pinned afresh by its
    // first heartbeat, and it gets a token of its own on the new ISO. The agent of an earlier boot
    // (this step may be a resumed one) is killed by the reboot that follows, and its token dies
    // with it, so a heartbeat it sent just before cannot pin its URL for the new agent.
    const token = newAgentToken();
    await updateNode(ctx, leased, {
      ...NO_AGENT_ENDPOINT,
      ...agentTokenColumns(ctx.secrets, token),
      agentTokenPregenerated: true,
    });
    const node = leased.node;
    const kernelParams = kernelAppendOf(node);
    const iso = await ctx.images.call(
      node,
      'image.boot_iso',
      {
        agent_config: {
          api_url: agentApiUrlOf(ctx),
          node_uuid: node.uuid,
          agent_token: token,
          // Parsed by the agent like /proc/cmdline: the base ISO's kernel line is the same for all.
          ...(kernelParams ? { kernel_params: kernelParams } : {}),
          ...(purpose === 'inspect'
            ? { inspection_callback_url: inspectionCallbackOf(ctx, node.uuid) }
            : {}),
        },
      },
      requestId,
    );
    await ctx.bmc.call(node, 'bmc.insert_media', { url: iso.url, device: 'cd' }, requestId);
    return { device: 'cdrom', medium: 'virtual media', description: 'from virtual media' };
  },

  async cleanUpRamdisk(ctx, leased, requestId) {
    try {
      await ctx.bmc.call(leased.node, 'bmc.eject_media', { device: 'cd' }, requestId);
    } catch (error) {
      // A BMC without virtual media has nothing to eject; anything else is worth reporting.
      if (!(error instanceof BmcCallError) || error.kind !== 'unsupported') throw error;
    }
  },
};
