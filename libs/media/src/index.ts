export { buildIso, readIsoFile, IsoFileNotFoundError } from './iso.js';
export type { IsoSpec } from './iso.js';
export { writeIsoFile, isoFileExtent, ISO_KERNEL_PATH, ISO_INITRAMFS_PATH } from './boot-iso.js';
export type { IsoBootSpec, IsoFileSpec, IsoExtent } from './boot-iso.js';
export { buildConfigDrive } from './config-drive.js';
export type { ConfigDrive, ConfigDriveSpec } from './config-drive.js';
export { qemuImgInfo, convertToRaw } from './qemu-img.js';
export type { DiskImageInfo } from './qemu-img.js';
export { MediaToolError } from './run-tool.js';
