// write_image: puts a whole-disk image on the root disk, verified against its checksum, then
// adds the config drive. raw images stream straight to the disk; qcow2 ones are staged in the
// work dir, verified, and converted onto the disk by qemu-img.
import type { TargetDisk } from '../disks/devices.js';
import { assertWritable } from '../disks/devices.js';
import type { NodeInfo } from '../node-info.js';
import { expectedDigest } from './checksum.js';
import { loadConfigDrive, writeConfigDrive } from './configdrive.js';
import type { FetchEnv } from './fetch-image.js';
import type { ImageInfo } from './image-info.js';
import { diskFormatOf } from './image-info.js';
import { writeQcow2Image } from './qcow2.js';
import { prepareRaidBoot } from './raid-boot.js';
import { streamRawImage } from './raw.js';
import { chooseRootDisk } from './root-device.js';
import { isMdDevice, type BootMode } from '../disks/software-raid.js';

export interface WriteImageRequest {
  imageInfo: ImageInfo;
  configdrive?: string;
  node?: NodeInfo;
}

export interface WriteImageEnv extends FetchEnv {
  disks: readonly TargetDisk[];
  /** Where qcow2 images are staged. */
  workDir: string;
  /** How the instance boots: where the boot partitions of a software RAID root go. */
  bootMode: BootMode;
}

export interface WriteImageOutcome {
  disk: TargetDisk;
  configDrivePartition?: number;
  /** "image (<id>) written to /dev/sda, config drive on partition 3" */
  summary: string;
}

export async function writeImage(
  req: WriteImageRequest,
  env: WriteImageEnv,
): Promise<WriteImageOutcome> {
  const { imageInfo } = req;
  const disk = chooseRootDisk(env.disks, imageInfo.root_device, req.node);
  const digest = expectedDigest(imageInfo);
  await assertWritable(disk);
  // Decode the config drive first: a bad one should fail before the disk is touched.
  const configDrive = req.configdrive
    ? await loadConfigDrive(req.configdrive, env.signal, env.dispatcher)
    : undefined;
  env.log.info('writing image', {
    image: imageInfo.id,
    disk: disk.name,
    format: diskFormatOf(imageInfo),
  });
  const started = Date.now();
  if (diskFormatOf(imageInfo) === 'qcow2') {
    await writeQcow2Image(imageInfo, digest, disk, env);
  } else {
    await streamRawImage(imageInfo, digest, disk, env);
  }
  env.log.info('image written', {
    image: imageInfo.id,
    disk: disk.name,
    seconds: (Date.now() - started) / 1000,
  });

  let configDrivePartition: number | undefined;
  if (configDrive) {
    configDrivePartition = await writeConfigDrive(disk, configDrive);
    env.log.info('config drive written', { disk: disk.name, partition: configDrivePartition });
  }
  // A software RAID root: the firmware boots from the holder disks (IPA's install_bootloader).
  const raidBoot = isMdDevice(disk)
    ? await prepareRaidBoot(disk, env.bootMode, (message, fields) => env.log.info(message, fields))
    : undefined;
  const summary =
    `image (${imageInfo.id}) written to ${disk.name}` +
    (configDrivePartition === undefined
      ? ''
      : `, config drive on partition ${configDrivePartition}`) +
    (raidBoot ? `; ${raidBoot}` : '');
  return { disk, configDrivePartition, summary };
}
