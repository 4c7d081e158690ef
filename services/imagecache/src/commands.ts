import { createHash } from 'node:crypto';
import type { ImageCacheCommand, ImageCacheReply } from '@ingot/contracts';
import { withDetailSpan } from '@ingot/telemetry';
import type { BootIsoStore } from './boot-isos.js';
import { ImageError } from './image-error.js';
import type { ImagePreparer } from './image-preparer.js';
import { agentScript, bootFiles, macScriptPath, type IpxeSettings } from './ipxe.js';
import type { PxeConfigStore } from './pxe-configs.js';

export interface CommandDeps {
  preparer: ImagePreparer;
  bootIsos: BootIsoStore;
  pxeConfigs: PxeConfigStore;
  ipxe: IpxeSettings;
  /** Base of the URLs put in replies, without a trailing slash. */
  publicUrl: () => string;
  /** Base of boot ISO URLs: the BMC, not the agent, fetches them (Ironic's external_http_url). */
  bmcUrl: () => string;
}

/**
 * Carries out one image cache command and words the answer. Failures the requester must act on
 * become `ok: false` replies; anything else (a bug, a broken disk) is thrown for a redelivery.
 */
export async function runImageCacheCommand(
  cmd: ImageCacheCommand,
  deps: CommandDeps,
): Promise<ImageCacheReply> {
  try {
    switch (cmd.type) {
      case 'image.prepare': {
        const image = await deps.preparer.prepare(cmd.payload);
        return {
          command_id: cmd.id,
          ok: true,
          url: `${deps.publicUrl()}/images/${image.sha256}.raw`,
          size: image.size,
          sha256: image.sha256,
          disk_format: 'raw',
        };
      }
      case 'image.boot_iso': {
        const iso = await withDetailSpan(
          'boot ISO build',
          { attributes: { 'ingot.node.uuid': cmd.node_uuid } },
          () => deps.bootIsos.build(cmd.node_uuid, cmd.payload.agent_config),
        );
        return {
          command_id: cmd.id,
          ok: true,
          url: `${deps.bmcUrl()}/boot/${iso.name}.iso`,
          size: iso.size,
          sha256: iso.sha256,
          disk_format: 'iso',
        };
      }
      case 'image.pxe_config': {
        const files = bootFiles(deps.ipxe);
        const [first] = await deps.pxeConfigs.set(
          cmd.payload.macs,
          cmd.node_uuid,
          cmd.payload.kernel_params,
          cmd.payload.kernel_append,
        );
        if (!first) throw new ImageError('invalid', 'image.pxe_config needs at least one MAC');
        const script = Buffer.from(agentScript(first, files, deps.ipxe.apiUrl));
        return {
          command_id: cmd.id,
          ok: true,
          url: `${deps.publicUrl()}${macScriptPath(first.mac)}`,
          size: script.length,
          sha256: sha256(script),
          disk_format: 'ipxe',
        };
      }
      case 'image.pxe_clear': {
        await deps.pxeConfigs.clear(cmd.payload.macs);
        return {
          command_id: cmd.id,
          ok: true,
          url: '',
          size: 0,
          sha256: sha256(Buffer.alloc(0)),
          disk_format: 'none',
        };
      }
    }
  } catch (error) {
    const known = asImageError(error);
    if (!known) throw error;
    return { command_id: cmd.id, ok: false, error: { kind: known.kind, message: known.message } };
  }
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

function asImageError(error: unknown): ImageError | undefined {
  if (error instanceof ImageError) return error;
  if ((error as NodeJS.ErrnoException)?.code === 'ENOSPC')
    return new ImageError(
      'capacity',
      'The image cache disk is full; free space or lower INGOT_IMAGECACHE_BUDGET_BYTES below the free disk space',
    );
  return undefined;
}
