import { ImageError } from './image-error.js';

/** Where the agent's deploy kernel and ramdisk are downloaded from. */
export interface IpxeBootFiles {
  kernelUrl: string;
  initrdUrl: string;
}

export interface IpxeSettings extends Partial<IpxeBootFiles> {
  /** The Ingot API; the default `ipa-api-url` when a PXE config does not carry one. */
  apiUrl: string;
}

/** What a node asked for one of its NICs (image.pxe_config). */
export interface PxeConfig {
  /** Lower case, colon separated. */
  mac: string;
  node_uuid: string;
  kernel_params: Record<string, string>;
  /** The node's driver_info.kernel_append_params, appended as given. */
  kernel_append?: string;
  updated_at: string;
}

const MAC = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/;
const HEXHYP = /^([0-9a-f]{2}-){5}[0-9a-f]{2}$/;

export const isMac = (mac: string): boolean => MAC.test(mac);

/** `52:54:00:00:01:01` → `52-54-00-00-01-01`, iPXE's `${mac:hexhyp}`. */
export const hexhyp = (mac: string): string => mac.replace(/:/g, '-');

/** The MAC of a `${mac:hexhyp}` file name, or undefined for anything else. */
export function macFromHexhyp(name: string): string | undefined {
  const lower = name.toLowerCase();
  return HEXHYP.test(lower) ? lower.replace(/-/g, ':') : undefined;
}

/** Path of a MAC's script on the image server. */
export const macScriptPath = (mac: string): string => `/ipxe/${hexhyp(mac)}.ipxe`;

export const BOOT_SCRIPT_PATH = '/ipxe/boot.ipxe';

/**
 * The script a DHCP server hands to iPXE (Ironic's boot.ipxe): it chains to the script of the
 * MAC iPXE booted from, and boots the next device when that script cannot be fetched.
 */
export function bootScript(publicUrl: string): string {
  return [
    '#!ipxe',
    '# Ingot: every NIC has its own script, named after its MAC',
    `chain --autofree ${publicUrl}/ipxe/\${mac:hexhyp}.ipxe || goto boot_local`,
    'exit',
    ':boot_local',
    'echo Could not fetch the Ingot boot script of ${mac}: booting the next device',
    'exit',
    '',
  ].join('\n');
}

/**
 * The script of a MAC with no network boot asked for: boot the next device (the disk). What a
 * server boots follows its node's state, so an installed server never netboots into the agent
 * again.
 */
export function nextDeviceScript(mac: string): string {
  return [
    '#!ipxe',
    `# Ingot: no network boot for ${mac}: booting the next device`,
    'exit',
    '',
  ].join('\n');
}

/**
 * The iPXE script that boots a NIC's node into the agent ramdisk, shaped like Ironic's
 * ipxe_config: retry on a failed fetch instead of falling through to the next boot device.
 *
 * It carries no agent token: anyone on the provisioning network can fetch it, so the agent gets
 * its token from the API at lookup, as with Ironic's PXE boot.
 */
export function agentScript(config: PxeConfig, files: IpxeBootFiles, apiUrl: string): string {
  const params = { 'ipa-api-url': apiUrl, ...config.kernel_params };
  const args = [
    'initrd=agent.initrd',
    ...Object.entries(params).map(([key, value]) => `${key}=${value}`),
    'BOOTIF=01-${mac:hexhyp}',
    AGENT_CONSOLE_ARGS,
    ...(config.kernel_append ? [config.kernel_append] : []),
  ];
  return [
    '#!ipxe',
    `# Ingot: boot node ${config.node_uuid} into the deploy agent (NIC ${config.mac})`,
    ':deploy',
    'imgfree',
    `kernel --name agent.kernel ${files.kernelUrl} ${args.join(' ')} || goto retry`,
    `initrd --name agent.initrd ${files.initrdUrl} || goto retry`,
    'boot',
    ':retry',
    'echo Fetching the Ingot agent failed, retrying in 10 seconds',
    'sleep 10',
    'goto deploy',
    '',
  ].join('\n');
}

/** The kernel and initrd URLs, or an ImageError of kind 'pxe' naming what to configure. */
export function bootFiles(settings: Partial<IpxeBootFiles>): IpxeBootFiles {
  const { kernelUrl, initrdUrl } = settings;
  if (!kernelUrl || !initrdUrl)
    throw new ImageError(
      'pxe',
      'Network boot is not configured on this image cache: set INGOT_IPXE_KERNEL_URL and INGOT_IPXE_INITRD_URL to the agent kernel and initrd',
    );
  return { kernelUrl, initrdUrl };
}

/** The agent logs on the serial console, as from the boot ISO (VM-CONTRACT §2). */
export const AGENT_CONSOLE_ARGS = 'console=tty0 console=ttyS0,115200';

/** Refuses (ImageError 'invalid') appended kernel parameters that an iPXE line would mangle. */
export function checkKernelAppend(append: string): void {
  const bad = UNSAFE_APPEND.exec(append)?.[0];
  if (bad !== undefined)
    throw new ImageError(
      'invalid',
      `kernel_append_params has the character ${JSON.stringify(bad)}, which an iPXE command line would interpret: $ ' " \` ; | & # \\ and control characters are not allowed`,
    );
}
// eslint-disable-next-line no-control-regex
const UNSAFE_APPEND = /[$'"`;|&#\\\u0000-\u001f\u007f]/;

const KEY = /^[A-Za-z0-9_.-]{1,64}$/;
/** Set by the script itself. */
const RESERVED = new Set(['initrd', 'BOOTIF']);
/** Whitespace ends an argument; the rest is expanded or interpreted by iPXE's command line. */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\s$'"`;|&#\\\u0000-\u001f\u007f]/;

/** Refuses (ImageError 'invalid') kernel parameters that would not survive an iPXE line. */
export function checkKernelParams(params: Record<string, string>): void {
  for (const [key, value] of Object.entries(params)) {
    if (!KEY.test(key))
      throw new ImageError(
        'invalid',
        `Kernel parameter name "${key}" is not allowed: use 1 to 64 letters, digits, '_', '.' or '-'`,
      );
    if (RESERVED.has(key))
      throw new ImageError(
        'invalid',
        `Kernel parameter ${key} is set by the iPXE script itself and cannot be given`,
      );
    const bad = UNSAFE.exec(value)?.[0];
    if (bad !== undefined)
      throw new ImageError(
        'invalid',
        `Kernel parameter ${key} has the character ${JSON.stringify(bad)} in its value, which an iPXE command line would split or interpret: whitespace, $ ' " \` ; | & # \\ and control characters are not allowed`,
      );
  }
}
