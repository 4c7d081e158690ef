// The write path shared by deploy.execute_deploy_step(write_image) and standby.prepare_image.
import { expectedDigest } from '../image/checksum.js';
import { writeImage } from '../image/write-image.js';
import { targetBootMode } from '../image/raid-boot.js';
import type { ImageInfo } from '../image/image-info.js';
import { validateImageInfo } from '../image/image-info.js';
import { partitionUuids } from '../image/partition-uuids.js';
import type { CommandContext, Params } from './definition.js';
import { AgentError } from '../errors.js';

export interface ImageParams {
  imageInfo: ImageInfo;
  configdrive?: string;
}

/** configdrive may come on its own or, from older conductors, inside image_info. */
export function imageParams(args: Params): ImageParams {
  const imageInfo = validateImageInfo(args.image_info);
  expectedDigest(imageInfo); // an unusable checksum is the caller's mistake (400), as IPA's validator
  const configdrive = args.configdrive ?? imageInfo.configdrive;
  if (configdrive !== undefined && configdrive !== null && typeof configdrive !== 'string') {
    throw AgentError.invalidParams('configdrive must be a string (base64 gzip data or a URL)');
  }
  return { imageInfo, configdrive: configdrive ?? undefined };
}

export async function writeImageCommand(ctx: CommandContext, args: Params): Promise<string> {
  const { imageInfo, configdrive } = imageParams(args);
  const outcome = await writeImage(
    { imageInfo, configdrive, node: ctx.node() },
    {
      disks: ctx.disks,
      workDir: ctx.config.work_dir,
      bootMode: targetBootMode(ctx.node(), ctx.inventory.boot.current_boot_mode),
      log: ctx.log,
      signal: ctx.signal,
      dispatcher: ctx.outbound,
    },
  );
  try {
    ctx.setPartitionUuids(await partitionUuids(outcome.disk));
  } catch (err) {
    ctx.log.warn('cannot read partition UUIDs', {
      disk: outcome.disk.name,
      error: (err as Error).message,
    });
    ctx.setPartitionUuids({});
  }
  return outcome.summary;
}
