import { StepError } from './fail.js';

/** What deploying needs from instance_info, checked before anything is booted. */
export interface DeploySource {
  imageSource: string;
  checksum: string;
  hashAlgo?: 'sha256' | 'sha512' | 'md5';
  diskFormat?: 'raw' | 'qcow2';
  configDrive?: string | Record<string, unknown>;
  userData?: string;
  networkData?: Record<string, unknown>;
  rootDeviceHints?: Record<string, unknown>;
}

const HASH_ALGOS = ['sha256', 'sha512', 'md5'] as const;

/**
 * Reads Ironic's instance_info fields (image_source, image_checksum or image_os_hash_algo +
 * image_os_hash_value, image_disk_format, configdrive, root_device) and says what is missing.
 */
export function deploySourceOf(
  instanceInfo: Record<string, unknown>,
  properties: Record<string, unknown>,
): DeploySource {
  const problems: string[] = [];
  const imageSource = instanceInfo.image_source;
  if (typeof imageSource !== 'string' || !/^https?:\/\//.test(imageSource)) {
    problems.push('instance_info.image_source must be an http(s) URL of the image');
  }
  const algo = instanceInfo.image_os_hash_algo;
  const value = instanceInfo.image_os_hash_value ?? instanceInfo.image_checksum;
  if (typeof value !== 'string' || !/^[0-9a-fA-F]{32,128}$/.test(value)) {
    problems.push(
      'instance_info.image_checksum (or image_os_hash_algo + image_os_hash_value) must hold the hex digest of the image',
    );
  }
  if (algo !== undefined && !(HASH_ALGOS as readonly unknown[]).includes(algo)) {
    problems.push(`instance_info.image_os_hash_algo must be one of ${HASH_ALGOS.join(', ')}`);
  }
  const diskFormat = instanceInfo.image_disk_format;
  if (diskFormat !== undefined && diskFormat !== 'raw' && diskFormat !== 'qcow2') {
    problems.push("instance_info.image_disk_format must be 'raw' or 'qcow2'");
  }
  const configDrive = instanceInfo.configdrive;
  if (
    configDrive !== undefined &&
    typeof configDrive !== 'string' &&
    (typeof configDrive !== 'object' || configDrive === null)
  ) {
    problems.push(
      'instance_info.configdrive must be a string (encoded ISO or URL) or an object {meta_data, user_data, network_data}',
    );
  }
  if (problems.length > 0) throw new StepError(`Cannot deploy: ${problems.join('; ')}`);
  const hints = (instanceInfo.root_device ?? properties.root_device) as
    Record<string, unknown> | undefined;
  return {
    imageSource: imageSource as string,
    checksum: (value as string).toLowerCase(),
    hashAlgo: algo as DeploySource['hashAlgo'],
    diskFormat: diskFormat as DeploySource['diskFormat'],
    configDrive: configDrive as DeploySource['configDrive'],
    userData: typeof instanceInfo.user_data === 'string' ? instanceInfo.user_data : undefined,
    networkData: instanceInfo.network_data as Record<string, unknown> | undefined,
    rootDeviceHints: hints && typeof hints === 'object' ? hints : undefined,
  };
}
