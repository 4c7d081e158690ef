import { runTool } from './run-tool.js';

export interface DiskImageInfo {
  /** qemu-img's name of the format: raw, qcow2, vmdk, ... */
  format: string;
  /** Bytes the guest sees, which is the size of the image once converted to raw. */
  virtualSize: number;
  /** Bytes the file takes on disk. */
  actualSize: number | undefined;
  /** A qcow2 overlay's base image: accepting one would let an image read files of this host. */
  backingFile: string | undefined;
  /** qcow2's external data file, dangerous for the same reason. */
  dataFile: string | undefined;
}

/** Parsing a hostile image is bounded in time, as Ironic does with its prlimit. */
const INFO_TIMEOUT_MS = 30_000;

/**
 * Describes a disk image. Pass `format` for untrusted input: it stops qemu-img from probing,
 * which could take a raw image that looks like qcow2 for one.
 */
export async function qemuImgInfo(path: string, format?: string): Promise<DiskImageInfo> {
  const args = ['info', '--output=json', ...(format ? ['-f', format] : []), path];
  const { stdout } = await runTool('qemu-img', args, { timeoutMs: INFO_TIMEOUT_MS });
  const info = JSON.parse(stdout) as {
    format?: string;
    'virtual-size'?: number;
    'actual-size'?: number;
    'backing-filename'?: string;
    'format-specific'?: { data?: { 'data-file'?: string } };
  };
  if (typeof info.format !== 'string' || typeof info['virtual-size'] !== 'number') {
    throw new Error(`qemu-img info gave no format or virtual size for ${path}`);
  }
  return {
    format: info.format,
    virtualSize: info['virtual-size'],
    actualSize: info['actual-size'],
    backingFile: info['backing-filename'],
    dataFile: info['format-specific']?.data?.['data-file'],
  };
}

/** Writes `src` as a raw (sparse) image to `dest`; `sourceFormat` as for qemuImgInfo. */
export async function convertToRaw(
  src: string,
  dest: string,
  opts: { sourceFormat?: string; timeoutMs?: number } = {},
): Promise<void> {
  const from = opts.sourceFormat ? ['-f', opts.sourceFormat] : [];
  await runTool('qemu-img', ['convert', ...from, '-O', 'raw', src, dest], {
    timeoutMs: opts.timeoutMs,
  });
}
