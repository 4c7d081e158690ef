import type { BareMetalHost } from '@ingot/metal3';

type Image = NonNullable<NonNullable<BareMetalHost['spec']>['image']>;
type BootMode = NonNullable<BareMetalHost['spec']>['bootMode'];

const DIGEST_ALGOS: Record<number, string> = { 32: 'md5', 64: 'sha256', 128: 'sha512' };

/** Why a host's image cannot be deployed by Ingot, or undefined when it can. */
export function imageProblem(image: Image): string | undefined {
  if (!/^https?:\/\//.test(image.url)) return `spec.image.url '${image.url}' is not an http(s) URL`;
  if (image.format === 'live-iso' || image.format === 'vdi' || image.format === 'vmdk')
    return `spec.image.format '${image.format}' is not supported by Ingot (raw and qcow2 are)`;
  if (!image.checksum || !/^[0-9a-fA-F]+$/.test(image.checksum))
    return 'spec.image.checksum must be the hex digest of the image (a checksum file URL is not supported yet)';
  const type = image.checksumType && image.checksumType !== 'auto' ? image.checksumType : undefined;
  if (!type && !DIGEST_ALGOS[image.checksum.length])
    return `spec.image.checksum has ${image.checksum.length} hex digits: set spec.image.checksumType`;
  return undefined;
}

/**
 * The instance_info keys Ingot's deploy reads, from spec.image (Metal3's image fields) and
 * spec.bootMode: capabilities is always written, so a host that stops asking for secure boot
 * stops getting it on its next deploy.
 */
export function instanceInfoOf(image: Image, bootMode?: BootMode): Record<string, unknown> {
  const type =
    image.checksumType && image.checksumType !== 'auto'
      ? image.checksumType
      : DIGEST_ALGOS[image.checksum?.length ?? 0];
  return {
    image_source: image.url,
    image_os_hash_algo: type,
    image_os_hash_value: image.checksum?.toLowerCase(),
    ...(image.format ? { image_disk_format: image.format } : {}),
    capabilities: instanceCapabilitiesOf(bootMode),
  };
}

// Metal3's rootDeviceHints as Ironic's root_device: in @ingot/metal3 (the ingot CLI maps them too).
export { rootDeviceOf } from '@ingot/metal3';

/** Ironic's boot_mode for Metal3's bootMode: legacy is bios; UEFI, UEFISecureBoot and unset are uefi. */
export function bootModeOf(mode: string | undefined): 'uefi' | 'bios' {
  return mode === 'legacy' ? 'bios' : 'uefi';
}

/** UEFISecureBoot asks Ingot to turn on the server's secure boot for the instance. */
export const wantsSecureBoot = (mode: string | undefined): boolean => mode === 'UEFISecureBoot';

/**
 * instance_info.capabilities as baremetal-operator builds them (buildInstanceInfoCapabilities):
 * secure_boot 'true' for UEFISecureBoot, nothing otherwise. The conductor turns secure boot on
 * through the BMC before the instance boots, and off again when it is undeployed.
 */
export function instanceCapabilitiesOf(mode: string | undefined): Record<string, string> {
  return wantsSecureBoot(mode) ? { secure_boot: 'true' } : {};
}
