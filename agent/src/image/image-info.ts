// image_info as Ironic sends it to write_image / prepare_image, and its validation.
import { AgentError } from '../errors.js';

export interface ImageInfo {
  id: string;
  urls: string[];
  disk_format?: string;
  container_format?: string;
  checksum?: string;
  os_hash_algo?: string;
  os_hash_value?: string;
  stream_raw_images?: boolean;
  image_download_source?: string;
  node_uuid?: string;
  /** Target disk name; overrides root device hints. */
  root_device?: string;
  /** md5 digests are refused unless this is true. */
  allow_md5?: boolean;
  [key: string]: unknown;
}

export const SUPPORTED_DISK_FORMATS = ['raw', 'qcow2'] as const;
export type DiskFormat = (typeof SUPPORTED_DISK_FORMATS)[number];

/** Checks the fields this agent relies on; problems are the caller's (HTTP 400), as in IPA. */
export function validateImageInfo(value: unknown): ImageInfo {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw AgentError.invalidParams('image_info is required and must be an object');
  }
  const info = value as Record<string, unknown>;
  if (typeof info.id !== 'string' || info.id.length === 0) {
    throw AgentError.invalidParams("Image is missing 'id' field.");
  }
  const urls = info.urls;
  if (!Array.isArray(urls) || urls.length === 0 || !urls.every(isHttpUrl)) {
    throw AgentError.invalidParams(
      "Image 'urls' must be a list of http(s) URLs with at least one element.",
    );
  }
  const hasChecksum = typeof info.checksum === 'string' && info.checksum.length > 0;
  const hasHash =
    typeof info.os_hash_algo === 'string' &&
    info.os_hash_algo.length > 0 &&
    typeof info.os_hash_value === 'string' &&
    info.os_hash_value.length > 0;
  if (!hasChecksum && !hasHash) {
    throw AgentError.invalidParams(
      "Image checksum is not available, either the 'checksum' field or the 'os_hash_algo' and " +
        "'os_hash_value' fields pair must be set for image verification.",
    );
  }
  const format = info.disk_format ?? 'raw';
  if (!(SUPPORTED_DISK_FORMATS as readonly unknown[]).includes(format)) {
    throw AgentError.invalidParams(
      `Image disk_format "${String(format)}" is not supported (use ${SUPPORTED_DISK_FORMATS.join(' or ')})`,
    );
  }
  if (info.root_device !== undefined && typeof info.root_device !== 'string') {
    throw AgentError.invalidParams("Image 'root_device' must be a device name such as /dev/sda");
  }
  return info as ImageInfo;
}

export function diskFormatOf(info: ImageInfo): DiskFormat {
  return (info.disk_format ?? 'raw') as DiskFormat;
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}
