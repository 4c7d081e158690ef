// The agent's configuration: one JSON file, as carried by Ingot's boot ISO (ingot/agent.json) or
// written by the lab for a simulated server, completed by the kernel command line of a
// network-booted ramdisk (ipa-api-url=, ipa-inspection-callback-url=, BOOTIF=).
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import {
  PROC_CMDLINE,
  cmdlineSettings,
  readCmdline,
  withCmdline,
  type CmdlineSettings,
} from './cmdline.js';

export const PLATFORMS = ['host', 'lab'] as const;
/** 'host': the agent owns a real machine. 'lab': a simulated one (profile JSON, disks are files). */
export type Platform = (typeof PLATFORMS)[number];

export interface AgentConfig {
  /** Base URL of the Ingot (Ironic-compatible) API, e.g. http://127.0.0.1:6385. */
  api_url: string;
  node_uuid?: string;
  /** Pregenerated agent token (virtual media boot); at least 32 characters. */
  agent_token?: string;
  listen_host: string;
  /** 0 picks a free port (tests). */
  listen_port: number;
  /** Host put in the heartbeat's callback_url. */
  advertise_host?: string;
  /** Port put in the heartbeat's callback_url (default: the port listened on). */
  advertise_port?: number;
  /** If set, the inventory is POSTed here before the lookup. */
  inspection_callback_url?: string;
  lookup_timeout_s: number;
  /** First lookup retry delay; doubles up to 30 s. */
  lookup_interval_s: number;
  /** Minimum gap between a forced heartbeat (after an async command) and the previous one. */
  min_heartbeat_gap_s: number;
  platform: Platform;
  /** lab: path of a LabHardwareProfile JSON file. */
  hardware_profile?: string;
  /** lab: device name ("/dev/sda") → path of the sparse file playing that disk. */
  disks?: Record<string, string>;
  /** Where images are staged (qcow2 downloads). */
  work_dir: string;
  /**
   * Where rescue.finalize_rescue writes the rescue user's password hash, read by the ramdisk's
   * rescue service (IPA's /etc/ipa-rescue-config/ipa-rescue-password); lab: under work_dir.
   */
  rescue_password_file: string;
  /**
   * IPA's enable_auto_tls: serve the command API over HTTPS with a self-signed certificate made
   * at start, sent to the API as agent_verify_ca (when the API serves 1.68 or later).
   */
  enable_auto_tls: boolean;
  /** IPA's cafile: PEM CA bundle the API's and the image server's HTTPS is verified against. */
  ca_file?: string;
  /** IPA's insecure (ipa-insecure=1): outbound HTTPS is not verified at all. */
  insecure: boolean;
  /**
   * The NIC the machine network-booted from (BOOTIF= on the kernel command line): reported as
   * the inventory's PXE interface. Not a field of the JSON file.
   */
  boot_mac?: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid agent configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

const KNOWN_FIELDS = new Set([
  'api_url',
  'node_uuid',
  'agent_token',
  'listen_host',
  'listen_port',
  'advertise_host',
  'advertise_port',
  'kernel_params',
  'inspection_callback_url',
  'lookup_timeout_s',
  'lookup_interval_s',
  'min_heartbeat_gap_s',
  'platform',
  'hardware_profile',
  'disks',
  'work_dir',
  'rescue_password_file',
  'enable_auto_tls',
  'ca_file',
  'insecure',
]);

/** Where IPA writes the rescue password's hash (ironic_python_agent/extensions/rescue.py). */
export const IPA_RESCUE_PASSWORD_FILE = '/etc/ipa-rescue-config/ipa-rescue-password';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const MIN_TOKEN_LENGTH = 32;

export interface ParseOptions {
  /** Relative file paths (hardware_profile, disks, work_dir) are resolved against this. */
  baseDir?: string;
}

export interface ParsedConfig {
  config: AgentConfig;
  /** Non-fatal remarks, e.g. unknown fields (the ISO may carry more than this agent reads). */
  warnings: string[];
  /** The kernel command line that completed the configuration, if one was read. */
  cmdline?: { path: string; settings: CmdlineSettings };
}

export interface LoadOptions {
  /**
   * Kernel command line file (--cmdline). Without it, /proc/cmdline is read on a real host
   * (platform "host") whose configuration gives no api_url, as a network-booted ramdisk has.
   */
  cmdline?: string;
}

/** Validates a configuration object, reporting every bad field at once. */
export function parseConfig(raw: unknown, opts: ParseOptions = {}): ParsedConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(['the configuration must be a JSON object']);
  }
  const problems: string[] = [];
  const { input, bootMac } = withKernelParams(raw as Record<string, unknown>, problems);
  const warnings = Object.keys(input)
    .filter((key) => !KNOWN_FIELDS.has(key))
    .map((key) => `unknown field "${key}" ignored`);
  const baseDir = opts.baseDir ?? process.cwd();
  const fields = new FieldReader(input, problems);

  const platform = fields.oneOf('platform', PLATFORMS, 'host');
  const workDir = fields.path('work_dir', baseDir) ?? join(tmpdir(), 'ingot-agent');
  const config: AgentConfig = {
    api_url: fields.httpUrl('api_url', true) ?? '',
    node_uuid: fields.string('node_uuid', (v) => UUID_RE.test(v) || 'must be a UUID'),
    agent_token: fields.string(
      'agent_token',
      (v) => v.length >= MIN_TOKEN_LENGTH || `must be at least ${MIN_TOKEN_LENGTH} characters`,
    ),
    listen_host: fields.string('listen_host') ?? '0.0.0.0',
    listen_port: fields.number('listen_port', { integer: true, min: 0, max: 65535 }) ?? 9999,
    advertise_host: fields.string('advertise_host'),
    advertise_port: fields.number('advertise_port', { integer: true, min: 1, max: 65535 }),
    inspection_callback_url: fields.httpUrl('inspection_callback_url', false),
    lookup_timeout_s: fields.number('lookup_timeout_s', { min: 0, exclusiveMin: true }) ?? 600,
    lookup_interval_s: fields.number('lookup_interval_s', { min: 0, exclusiveMin: true }) ?? 1,
    min_heartbeat_gap_s:
      fields.number('min_heartbeat_gap_s', { min: 0 }) ?? (platform === 'lab' ? 1 : 5),
    platform,
    hardware_profile: fields.path('hardware_profile', baseDir),
    disks: fields.diskMap('disks', baseDir),
    work_dir: workDir,
    rescue_password_file:
      fields.path('rescue_password_file', baseDir) ??
      (platform === 'lab' ? join(workDir, 'ipa-rescue-password') : IPA_RESCUE_PASSWORD_FILE),
    enable_auto_tls: fields.boolean('enable_auto_tls') ?? true,
    ca_file: fields.path('ca_file', baseDir),
    insecure: fields.boolean('insecure') ?? false,
  };
  if (bootMac !== undefined) config.boot_mac = bootMac;
  if (platform === 'lab') {
    if (!config.hardware_profile)
      problems.push('hardware_profile: required when platform is "lab"');
    if (!config.disks) problems.push('disks: required when platform is "lab"');
  } else if (config.hardware_profile || config.disks) {
    problems.push('hardware_profile and disks: only allowed when platform is "lab"');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  // As IPA: insecure wins over a CA bundle (the boot ISO may carry one, the node's kernel
  // parameters ask for no verification).
  if (config.insecure && config.ca_file)
    warnings.push('insecure is set: outbound HTTPS is not verified and ca_file is not used');
  return { config, warnings };
}

/**
 * kernel_params: the node's kernel parameters (Ironic's driver_info.kernel_append_params) as the
 * boot ISO carries them, read like /proc/cmdline; the file's own fields win over them.
 */
function withKernelParams(
  input: Record<string, unknown>,
  problems: string[],
): { input: Record<string, unknown>; bootMac?: string } {
  const params = input.kernel_params;
  if (params === undefined || params === null) return { input };
  if (typeof params !== 'string') {
    problems.push('kernel_params: must be a string of kernel parameters ("key=value key2=value2")');
    return { input };
  }
  const settings = cmdlineSettings(params);
  return { input: withCmdline(input, settings), bootMac: settings.boot_mac };
}

/**
 * Reads and validates the configuration file given by --config (none: an empty one), filling
 * api_url and inspection_callback_url from the kernel command line where the file does not set
 * them (see LoadOptions).
 */
export async function loadConfig(
  path: string | undefined,
  opts: LoadOptions = {},
): Promise<ParsedConfig> {
  const raw = path === undefined ? {} : await readJson(path);
  const baseDir = path === undefined ? undefined : dirname(resolve(path));
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return parseConfig(raw, { baseDir });
  // kernel_params come before /proc/cmdline: they are the node's, in its own configuration.
  const input = withKernelParams(raw as Record<string, unknown>, []).input;
  const onHost = input.platform === undefined || input.platform === 'host';
  const noApiUrl = input.api_url === undefined || input.api_url === null;
  const cmdlinePath = opts.cmdline ?? (onHost && noApiUrl ? PROC_CMDLINE : undefined);
  if (cmdlinePath === undefined) return parseConfig(input, { baseDir });

  let text: string | undefined;
  try {
    text = await readCmdline(cmdlinePath);
  } catch (err) {
    throw new ConfigError([`cannot read ${cmdlinePath}: ${(err as Error).message}`]);
  }
  // Only a command line asked for by name must exist.
  if (text === undefined && opts.cmdline !== undefined)
    throw new ConfigError([`cannot read ${cmdlinePath}: no such file`]);
  if (text === undefined) return parseConfig(input, { baseDir });
  const settings = cmdlineSettings(text);
  const parsed = parseConfig(withCmdline(input, settings), { baseDir });
  if (settings.boot_mac !== undefined && parsed.config.boot_mac === undefined)
    parsed.config.boot_mac = settings.boot_mac;
  return { ...parsed, cmdline: { path: cmdlinePath, settings } };
}

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError([`cannot read ${path}: ${(err as Error).message}`]);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ConfigError([`${path} is not valid JSON: ${(err as Error).message}`]);
  }
}

interface NumberRule {
  integer?: boolean;
  min?: number;
  max?: number;
  exclusiveMin?: boolean;
}

/** Reads optional typed fields, recording a problem per bad one. */
class FieldReader {
  constructor(
    private readonly input: Record<string, unknown>,
    private readonly problems: string[],
  ) {}

  string(key: string, check?: (value: string) => true | string): string | undefined {
    const value = this.input[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string' || value.length === 0) {
      return this.fail(key, 'must be a non-empty string');
    }
    const verdict = check?.(value) ?? true;
    return verdict === true ? value : this.fail(key, verdict);
  }

  httpUrl(key: string, required: boolean): string | undefined {
    if (required && (this.input[key] === undefined || this.input[key] === null)) {
      return this.fail(
        key,
        'required (e.g. "http://127.0.0.1:6385"), or ipa-api-url= on the kernel command line',
      );
    }
    const value = this.string(key, (v) => {
      try {
        const url = new URL(v);
        return ['http:', 'https:'].includes(url.protocol) || 'must be an http(s) URL';
      } catch {
        return 'must be an http(s) URL';
      }
    });
    return value?.replace(/\/+$/, '');
  }

  number(key: string, rule: NumberRule): number | undefined {
    const value = this.input[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value))
      return this.fail(key, 'must be a number');
    if (rule.integer && !Number.isInteger(value)) return this.fail(key, 'must be an integer');
    if (rule.min !== undefined) {
      const tooSmall = rule.exclusiveMin ? value <= rule.min : value < rule.min;
      if (tooSmall) return this.fail(key, `must be ${rule.exclusiveMin ? '>' : '>='} ${rule.min}`);
    }
    if (rule.max !== undefined && value > rule.max) return this.fail(key, `must be <= ${rule.max}`);
    return value;
  }

  boolean(key: string): boolean | undefined {
    const value = this.input[key];
    if (value === undefined || value === null) return undefined;
    return typeof value === 'boolean' ? value : this.fail(key, 'must be true or false');
  }

  oneOf<T extends string>(key: string, allowed: readonly T[], fallback: T): T {
    const value = this.input[key];
    if (value === undefined || value === null) return fallback;
    if (typeof value === 'string' && (allowed as readonly string[]).includes(value))
      return value as T;
    this.fail(key, `must be one of ${allowed.map((a) => `"${a}"`).join(', ')}`);
    return fallback;
  }

  path(key: string, baseDir: string): string | undefined {
    const value = this.string(key);
    return value === undefined ? undefined : resolve(baseDir, value);
  }

  diskMap(key: string, baseDir: string): Record<string, string> | undefined {
    const value = this.input[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) {
      return this.fail(key, 'must be an object mapping "/dev/sdX" to a file path');
    }
    const disks: Record<string, string> = {};
    for (const [name, path] of Object.entries(value as Record<string, unknown>)) {
      if (!name.startsWith('/dev/')) this.fail(key, `device name "${name}" must start with /dev/`);
      else if (typeof path !== 'string' || path.length === 0) {
        this.fail(key, `"${name}" must map to a file path`);
      } else disks[name] = resolve(baseDir, path);
    }
    return disks;
  }

  private fail(key: string, why: string): undefined {
    this.problems.push(`${key}: ${why}`);
    return undefined;
  }
}
