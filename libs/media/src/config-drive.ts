import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { buildIso } from './iso.js';

type JsonObject = Record<string, unknown>;

export interface ConfigDriveSpec {
  /** meta_data.json: uuid, hostname, public_keys, ... (nova's instance metadata). */
  meta_data: JsonObject;
  /** Written as-is when a string or bytes (cloud-config, a script, Ignition); JSON otherwise. */
  user_data?: string | Buffer | JsonObject | unknown[];
  network_data?: JsonObject;
  vendor_data?: JsonObject;
}

export interface ConfigDrive {
  iso: Buffer;
  /** base64 of the gzipped ISO: what Ironic hands the agent as `configdrive`. */
  encoded: string;
}

/** The metadata versions nova and Ironic write; cloud-init picks the newest it knows. */
const VERSIONS = ['2012-08-10', 'latest'];
const LABEL = 'config-2';

const gzipAsync = promisify(gzip);

const isPlainObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  !Buffer.isBuffer(value) &&
  [Object.prototype, null].includes(Object.getPrototypeOf(value));

const describe = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;

function jsonOf(name: string, value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (error) {
    throw new Error(`Config drive ${name} is not JSON-serialisable: ${(error as Error).message}`);
  }
}

function objectField(name: string, value: unknown, required: boolean): string | undefined {
  if (value === undefined && !required) return undefined;
  if (!isPlainObject(value)) {
    throw new Error(`Config drive ${name} must be a JSON object, got ${describe(value)}`);
  }
  return jsonOf(name, value);
}

function userData(value: ConfigDriveSpec['user_data']): string | Buffer | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' || Buffer.isBuffer(value)) return value;
  if (Array.isArray(value) || isPlainObject(value)) return jsonOf('user_data', value);
  throw new Error(`Config drive user_data must be a string, bytes or JSON, got ${describe(value)}`);
}

/**
 * Builds the OpenStack config drive cloud-init reads: an ISO labelled `config-2` with
 * `openstack/<version>/meta_data.json`, `user_data`, `network_data.json` and `vendor_data.json`.
 */
export async function buildConfigDrive(spec: ConfigDriveSpec): Promise<ConfigDrive> {
  if (!isPlainObject(spec)) throw new Error('A config drive needs an object with meta_data');
  const documents: Record<string, string | Buffer | undefined> = {
    'meta_data.json': objectField('meta_data', spec.meta_data, true),
    user_data: userData(spec.user_data),
    'network_data.json': objectField('network_data', spec.network_data, false),
    'vendor_data.json': objectField('vendor_data', spec.vendor_data, false),
  };
  const files: Record<string, string | Buffer> = {};
  for (const version of VERSIONS) {
    for (const [name, content] of Object.entries(documents)) {
      if (content !== undefined) files[`openstack/${version}/${name}`] = content;
    }
  }
  const iso = await buildIso({ files, volumeId: LABEL });
  const encoded = (await gzipAsync(iso)).toString('base64');
  return { iso, encoded };
}
