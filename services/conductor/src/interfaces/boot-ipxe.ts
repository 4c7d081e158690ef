import { NO_AGENT_TOKEN } from '@ingot/store';
import { StepError } from '../operations/fail.js';
import { updateNode } from '../transition-node.js';
import {
  agentApiUrlOf,
  bootMacsOf,
  inspectionCallbackOf,
  kernelAppendOf,
  NO_AGENT_ENDPOINT,
} from './ramdisk-params.js';
import type { BootInterface } from './types.js';

/**
 * ipxe: the site's image cache serves the node's MACs an iPXE script that loads the agent. The
 * script anyone on the provisioning network can read carries no token, so none is pregenerated;
 * the agent receives it at its first lookup (by MAC), as with Ironic's PXE boot.
 */
export const ipxeBoot: BootInterface = {
  name: 'ipxe',
  eachRamdiskBoot: 'its iPXE configuration written and the server power cycled',

  async prepareRamdisk(ctx, leased, purpose, requestId) {
    await updateNode(ctx, leased, { ...NO_AGENT_ENDPOINT, ...NO_AGENT_TOKEN });
    const node = leased.node;
    const macs = await bootMacsOf(ctx, node.uuid);
    if (macs.length === 0) {
      throw new StepError(
        `Node ${node.uuid} has boot_interface 'ipxe' but no port with pxe_enabled: create a port with the MAC of its boot NIC`,
      );
    }
    const kernelAppend = kernelAppendOf(node);
    await ctx.images.call(
      node,
      'image.pxe_config',
      {
        macs,
        kernel_params: {
          'ipa-api-url': agentApiUrlOf(ctx),
          ...(purpose === 'inspect'
            ? { 'ipa-inspection-callback-url': inspectionCallbackOf(ctx, node.uuid) }
            : {}),
        },
        ...(kernelAppend ? { kernel_append: kernelAppend } : {}),
      },
      requestId,
    );
    return { device: 'pxe', medium: 'network', description: 'over the network (iPXE)' };
  },

  async cleanUpRamdisk(ctx, leased, requestId) {
    const macs = await bootMacsOf(ctx, leased.node.uuid);
    if (macs.length > 0) await ctx.images.call(leased.node, 'image.pxe_clear', { macs }, requestId);
  },
};
