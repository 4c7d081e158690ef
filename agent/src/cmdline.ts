// Settings from the kernel command line, as a network-booted ramdisk gets them (ironic-python-agent
// reads ipa-api-url=, ipa-inspection-callback-url=, ipa-insecure= and BOOTIF= from /proc/cmdline
// the same way).
import { readFile } from 'node:fs/promises';
import { bootifMac } from './inventory/host/firmware.js';

export const PROC_CMDLINE = '/proc/cmdline';

export interface CmdlineSettings {
  /** ipa-api-url */
  api_url?: string;
  /** ipa-inspection-callback-url */
  inspection_callback_url?: string;
  /** BOOTIF: the MAC the machine network-booted from (lower case, colons). */
  boot_mac?: string;
  /** ipa-advertise-host: the host put in the heartbeat's callback_url. */
  advertise_host?: string;
  /** ipa-advertise-port: the port put there (e.g. a port forwarded to the agent's). */
  advertise_port?: number;
  /** ipa-insecure: outbound HTTPS (API, images) is not verified. */
  insecure?: boolean | string;
  /**
   * ipa-enable-auto-tls: IPA reads enable_auto_tls from its configuration file only; Ingot's
   * agent also takes it from the kernel, named as IPA names its kernel parameters.
   */
  enable_auto_tls?: boolean | string;
}

/** Settings that fill agent.json fields of the same name. */
const FIELD_SETTINGS = [
  'api_url',
  'inspection_callback_url',
  'advertise_host',
  'advertise_port',
  'insecure',
  'enable_auto_tls',
] as const;

/**
 * The `key=value` parameters of a kernel command line. As the kernel does, double quotes hold a
 * value with spaces together (`key="a b"`), the last of repeated keys wins, and what follows a
 * lone `--` belongs to init; words without `=` are flags, with an empty value.
 */
export function parseKernelCmdline(text: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const match of text.matchAll(/(?:[^\s"]+|"[^"]*"?)+/g)) {
    const word = match[0];
    if (word === '--') break;
    const eq = word.indexOf('=');
    const key = (eq < 0 ? word : word.slice(0, eq)).replace(/"/g, '');
    if (key) params.set(key, eq < 0 ? '' : word.slice(eq + 1).replace(/"/g, ''));
  }
  return params;
}

/** What the agent takes from a kernel command line. */
export function cmdlineSettings(text: string): CmdlineSettings {
  const params = parseKernelCmdline(text);
  const value = (key: string) => params.get(key) || undefined;
  const settings: CmdlineSettings = {};
  const apiUrl = value('ipa-api-url');
  if (apiUrl) settings.api_url = apiUrl;
  const callback = value('ipa-inspection-callback-url');
  if (callback) settings.inspection_callback_url = callback;
  const advertiseHost = value('ipa-advertise-host');
  if (advertiseHost) settings.advertise_host = advertiseHost;
  const advertisePort = value('ipa-advertise-port');
  // A malformed port stays NaN so that the configuration check reports it.
  if (advertisePort)
    settings.advertise_port = /^\d+$/.test(advertisePort) ? Number(advertisePort) : NaN;
  const insecure = flag(value('ipa-insecure'));
  if (insecure !== undefined) settings.insecure = insecure;
  const autoTls = flag(value('ipa-enable-auto-tls'));
  if (autoTls !== undefined) settings.enable_auto_tls = autoTls;
  const bootif = params.get('BOOTIF');
  const mac = bootif === undefined ? null : bootifMac(`BOOTIF=${bootif}`);
  if (mac) settings.boot_mac = mac;
  return settings;
}

/**
 * A yes/no kernel parameter, read as oslo's bool_from_string reads IPA's; anything else stays a
 * string so that the configuration check reports it.
 */
function flag(text: string | undefined): boolean | string | undefined {
  if (text === undefined) return undefined;
  if (/^(1|t|true|on|y|yes)$/i.test(text)) return true;
  if (/^(0|f|false|off|n|no)$/i.test(text)) return false;
  return text;
}

/**
 * The JSON configuration with the command line's settings filled in where it does not set them:
 * the configuration file wins, so a boot ISO's agent.json is never overridden by the kernel.
 */
export function withCmdline(
  raw: Record<string, unknown>,
  settings: CmdlineSettings,
): Record<string, unknown> {
  const merged = { ...raw };
  for (const key of FIELD_SETTINGS) {
    const unset = merged[key] === undefined || merged[key] === null;
    if (settings[key] !== undefined && unset) merged[key] = settings[key];
  }
  return merged;
}

/** The kernel command line in this file; undefined when it does not exist. */
export async function readCmdline(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
