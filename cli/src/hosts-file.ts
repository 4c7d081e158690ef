import { readFile } from 'node:fs/promises';
import { parse as parseCsv } from 'csv-parse/sync';
import { isMap, isSeq, LineCounter, parseAllDocuments, type Node as YamlNode } from 'yaml';
import {
  BmcAddressError,
  parseBmcAddress,
  rootDeviceOf,
  type RootDeviceHints,
} from '@ingot/metal3';
import { usageError } from './exit-codes.js';

/** One server to enroll, as POST /v1/nodes and POST /v1/ports take it. */
export interface HostToEnroll {
  /** Where it was written, for messages: "hosts.yaml:12". */
  where: string;
  name: string;
  node: Record<string, unknown>;
  bootMac?: string;
}

/** A host entry as written: BareMetalHost's spec fields, credentials inline or from a Secret. */
interface HostFields {
  name?: unknown;
  address?: unknown;
  username?: unknown;
  password?: unknown;
  disableCertificateVerification?: unknown;
  bootMACAddress?: unknown;
  bootMode?: unknown;
  rootDeviceHints?: unknown;
  site?: unknown;
  description?: unknown;
  /** A problem found while reading the entry (a BareMetalHost's Secret missing). */
  problem?: { field: string; message: string };
}

/** A key of a YAML mapping read loosely; anything else has no keys. */
const field = (value: unknown, key: string): unknown =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)[key]
    : undefined;

/** Problems found, each "file:line: field: what is wrong"; all are listed, not only the first. */
class Problems {
  readonly list: string[] = [];
  add(where: string, field: string, message: string) {
    this.list.push(`${where}: ${field}: ${message}`);
  }
}

const NAME = /^[A-Za-z0-9._~-]+$/;
const MAC = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;
const SITE = /^[a-zA-Z0-9_-]*$/;
const BOOT_MODES: Record<string, 'uefi' | 'bios'> = {
  UEFI: 'uefi',
  UEFISecureBoot: 'uefi',
  legacy: 'bios',
};
const HINT_KEYS = new Set([
  'deviceName',
  'hctl',
  'model',
  'vendor',
  'serialNumber',
  'minSizeGigabytes',
  'wwn',
  'wwnWithExtension',
  'wwnVendorExtension',
  'rotational',
]);

/** Reads hosts.yaml (BareMetalHost-like entries, or BareMetalHost and Secret manifests) or hosts.csv. */
export async function readHostsFile(path: string): Promise<HostToEnroll[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw usageError(`${path} cannot be read: ${(error as Error).message}`);
  }
  const entries = /\.csv$/i.test(path) ? csvEntries(path, text) : yamlEntries(path, text);
  const problems = new Problems();
  const hosts = entries
    .map((e) => toHost(e.where, e.fields, problems))
    .filter((h): h is HostToEnroll => !!h);
  duplicates(hosts, problems);
  if (problems.list.length > 0)
    throw usageError(
      `${path} has ${problems.list.length} problem(s); nothing was enrolled:\n  ${problems.list.join('\n  ')}`,
    );
  if (hosts.length === 0) throw usageError(`${path} lists no hosts`);
  return hosts;
}

function toHost(where: string, f: HostFields, problems: Problems): HostToEnroll | undefined {
  const before = problems.list.length;
  if (f.problem) {
    problems.add(where, f.problem.field, f.problem.message);
    return undefined;
  }
  const text = (field: string, value: unknown, required: boolean): string | undefined => {
    if (value === undefined || value === null || value === '') {
      if (required) problems.add(where, field, 'is required');
      return undefined;
    }
    if (typeof value !== 'string' && typeof value !== 'number') {
      problems.add(where, field, `must be text, got ${JSON.stringify(value)}`);
      return undefined;
    }
    return String(value);
  };
  const name = text('name', f.name, true);
  if (name && !NAME.test(name))
    problems.add(where, 'name', `"${name}" may hold only letters, digits and . _ ~ -`);
  const address = text('bmc.address', f.address, true);
  const username = text('bmc.username', f.username, true);
  const password = text('bmc.password', f.password, true);
  const noVerify =
    f.disableCertificateVerification === true || f.disableCertificateVerification === 'true';
  let access: ReturnType<typeof parseBmcAddress> | undefined;
  if (address) {
    try {
      access = parseBmcAddress(address, noVerify);
    } catch (error) {
      if (!(error instanceof BmcAddressError)) throw error;
      problems.add(where, 'bmc.address', error.message);
    }
  }
  const mac = text('bootMACAddress', f.bootMACAddress, false);
  if (mac && !MAC.test(mac))
    problems.add(where, 'bootMACAddress', `"${mac}" is not a MAC address like 52:54:00:12:34:56`);
  const bootModeName = text('bootMode', f.bootMode, false);
  const bootMode = bootModeName ? BOOT_MODES[bootModeName] : undefined;
  if (bootModeName && !bootMode)
    problems.add(
      where,
      'bootMode',
      `"${bootModeName}" is not one of ${Object.keys(BOOT_MODES).join(', ')}`,
    );
  if (bootModeName === 'UEFISecureBoot' && access?.driver === 'ipmi')
    problems.add(
      where,
      'bootMode',
      'UEFISecureBoot needs a redfish:// or redfish-virtualmedia:// BMC address',
    );
  const hints = rootHints(where, f.rootDeviceHints, problems);
  const site = text('site', f.site, false);
  if (site && !SITE.test(site))
    problems.add(where, 'site', `"${site}" may hold only letters, digits, '_' and '-'`);
  const description = text('description', f.description, false);
  if (problems.list.length > before || !access || !name || !username || !password) return undefined;
  const prefix = access.driver === 'ipmi' ? 'ipmi' : 'redfish';
  const rootDevice = hints ? rootDeviceOf(hints) : null;
  return {
    where,
    name,
    bootMac: mac?.toLowerCase(),
    node: {
      name,
      driver: access.driver,
      driver_info: {
        ...access.driverInfo,
        [`${prefix}_username`]: username,
        [`${prefix}_password`]: password,
      },
      boot_interface: access.bootInterface,
      ...(bootMode ? { boot_mode: bootMode } : {}),
      ...(rootDevice ? { properties: { root_device: rootDevice } } : {}),
      ...(bootModeName === 'UEFISecureBoot'
        ? { instance_info: { capabilities: { secure_boot: 'true' } } }
        : {}),
      ...(site ? { conductor_group: site } : {}),
      ...(description ? { description } : {}),
    },
  };
}

function rootHints(where: string, value: unknown, problems: Problems): RootDeviceHints | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  let hints = value;
  if (typeof value === 'string') {
    try {
      hints = JSON.parse(value);
    } catch {
      problems.add(
        where,
        'rootDeviceHints',
        'must be a mapping (in CSV: JSON such as {"deviceName":"/dev/sda"})',
      );
      return undefined;
    }
  }
  if (typeof hints !== 'object' || hints === null || Array.isArray(hints)) {
    problems.add(where, 'rootDeviceHints', 'must be a mapping such as {deviceName: /dev/sda}');
    return undefined;
  }
  for (const [key, v] of Object.entries(hints)) {
    if (!HINT_KEYS.has(key))
      problems.add(
        where,
        `rootDeviceHints.${key}`,
        `is not a root device hint (${[...HINT_KEYS].join(', ')})`,
      );
    else if (key === 'minSizeGigabytes' && (!Number.isInteger(v) || (v as number) < 0))
      problems.add(where, 'rootDeviceHints.minSizeGigabytes', 'must be a whole number of GB');
    else if (key === 'rotational' && typeof v !== 'boolean')
      problems.add(where, 'rootDeviceHints.rotational', 'must be true or false');
  }
  return hints as RootDeviceHints;
}

function duplicates(hosts: HostToEnroll[], problems: Problems) {
  const names = new Map<string, string>();
  const macs = new Map<string, string>();
  for (const host of hosts) {
    const sameName = names.get(host.name);
    if (sameName)
      problems.add(host.where, 'name', `"${host.name}" is also the name at ${sameName}`);
    else names.set(host.name, host.where);
    if (!host.bootMac) continue;
    const sameMac = macs.get(host.bootMac);
    if (sameMac)
      problems.add(
        host.where,
        'bootMACAddress',
        `${host.bootMac} is also the boot MAC at ${sameMac}`,
      );
    else macs.set(host.bootMac, host.where);
  }
}

const CSV_COLUMNS: Record<string, Exclude<keyof HostFields, 'problem'>> = {
  name: 'name',
  bmc_address: 'address',
  bmc_username: 'username',
  bmc_password: 'password',
  disable_certificate_verification: 'disableCertificateVerification',
  boot_mac_address: 'bootMACAddress',
  boot_mode: 'bootMode',
  root_device_hints: 'rootDeviceHints',
  site: 'site',
  description: 'description',
};

/** A CSV with a header row naming CSV_COLUMNS; line numbers are the file's. */
function csvEntries(path: string, text: string): { where: string; fields: HostFields }[] {
  let rows: { record: Record<string, string>; info: { lines: number } }[];
  try {
    rows = parseCsv(text, {
      columns: true,
      skip_empty_lines: true,
      trim: true,
      info: true,
      comment: '#',
    });
  } catch (error) {
    throw usageError(`${path}: ${(error as Error).message}`);
  }
  const header = Object.keys(rows[0]?.record ?? {});
  const unknown = header.filter((c) => !(c in CSV_COLUMNS));
  if (unknown.length > 0)
    throw usageError(
      `${path}:1: unknown column(s) ${unknown.join(', ')}; the columns are ${Object.keys(CSV_COLUMNS).join(', ')}`,
    );
  return rows.map(({ record, info }) => {
    const fields: HostFields = {};
    for (const [column, value] of Object.entries(record))
      if (value !== '') fields[CSV_COLUMNS[column]!] = value;
    return { where: `${path}:${info.lines}`, fields };
  });
}

/**
 * YAML: a list of hosts (or `hosts:` holding one), each `{name, bmc: {address, username,
 * password, disableCertificateVerification}, bootMACAddress, bootMode, rootDeviceHints, site}`;
 * or BareMetalHost manifests as Metal3 users keep them, with their credentials Secrets in the
 * same file (`spec.bmc.credentialsName`).
 */
function yamlEntries(path: string, text: string): { where: string; fields: HostFields }[] {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter });
  const docs = Array.isArray(documents) ? documents : [documents];
  const lineOf = (node: unknown) => {
    const range = (node as YamlNode | undefined)?.range;
    return range ? lineCounter.linePos(range[0]).line : 1;
  };
  for (const doc of docs)
    if (doc.errors.length > 0) {
      const error = doc.errors[0]!;
      throw usageError(
        `${path}:${error.linePos?.[0]?.line ?? '?'}: ${error.message.split('\n')[0]}`,
      );
    }
  const secrets = new Map<string, Record<string, string>>();
  const manifests: { node: YamlNode; value: unknown }[] = [];
  const entries: { where: string; fields: HostFields }[] = [];
  for (const doc of docs) {
    const value = doc.toJS() as unknown;
    if (value === null || value === undefined) continue;
    const kind = field(value, 'kind');
    if (kind === 'Secret') {
      const data = (field(value, 'data') ?? {}) as Record<string, string>;
      const decoded = Object.fromEntries(
        Object.entries(data).map(([k, d]) => [
          k,
          Buffer.from(String(d), 'base64').toString('utf8'),
        ]),
      );
      const stringData = (field(value, 'stringData') ?? {}) as Record<string, string>;
      secrets.set(String(field(field(value, 'metadata'), 'name') ?? ''), {
        ...decoded,
        ...stringData,
      });
    } else if (kind === 'BareMetalHost') manifests.push({ node: doc.contents as YamlNode, value });
    else {
      const list = Array.isArray(value) ? value : field(value, 'hosts');
      const listNode = Array.isArray(value)
        ? doc.contents
        : isMap(doc.contents)
          ? doc.contents.get('hosts', true)
          : undefined;
      if (!Array.isArray(list) || !isSeq(listNode))
        throw usageError(
          `${path}:${lineOf(doc.contents)}: expected a list of hosts, a "hosts:" list, or BareMetalHost manifests`,
        );
      list.forEach((host: unknown, i) => {
        const bmc = field(host, 'bmc');
        entries.push({
          where: `${path}:${lineOf(listNode.items[i])}`,
          fields: {
            name: field(host, 'name'),
            address: field(bmc, 'address'),
            username: field(bmc, 'username'),
            password: field(bmc, 'password'),
            disableCertificateVerification: field(bmc, 'disableCertificateVerification'),
            bootMACAddress: field(host, 'bootMACAddress'),
            bootMode: field(host, 'bootMode'),
            rootDeviceHints: field(host, 'rootDeviceHints'),
            site: field(host, 'site'),
            description: field(host, 'description'),
          },
        });
      });
    }
  }
  for (const { node, value } of manifests) {
    const spec = field(value, 'spec');
    const bmc = field(spec, 'bmc');
    const credentialsName = field(bmc, 'credentialsName');
    const secret = typeof credentialsName === 'string' ? secrets.get(credentialsName) : undefined;
    entries.push({
      where: `${path}:${lineOf(node)}`,
      fields: {
        name: field(field(value, 'metadata'), 'name'),
        address: field(bmc, 'address'),
        username: secret?.username,
        password: secret?.password,
        disableCertificateVerification: field(bmc, 'disableCertificateVerification'),
        bootMACAddress: field(spec, 'bootMACAddress'),
        bootMode: field(spec, 'bootMode'),
        rootDeviceHints: field(spec, 'rootDeviceHints'),
        description: field(spec, 'description'),
        ...(secret
          ? {}
          : {
              problem: {
                field: 'spec.bmc.credentialsName',
                message: credentialsName
                  ? `Secret "${String(credentialsName)}" is not in this file: put it beside the BareMetalHost (stringData username and password)`
                  : 'is required: name a Secret of this file holding username and password',
              },
            }),
      },
    });
  }
  return entries;
}
