// A bare HTTP client for poking the lab BMC from tests, with TLS verification off.
import { Agent, request } from 'undici';
import type { RedfishBmc } from '../src/index.js';

const insecure = new Agent({ connect: { rejectUnauthorized: false } });

export interface CallOptions {
  /** [username, password] for HTTP basic, or a session token. */
  auth?: [string, string] | { token: string };
  body?: unknown;
  dispatcher?: Agent;
}

export interface CallResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: Record<string, unknown> | undefined;
}

export async function call(
  bmc: { url: string },
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  path: string,
  opts: CallOptions = {},
): Promise<CallResult> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (Array.isArray(opts.auth)) {
    headers.authorization = `Basic ${Buffer.from(opts.auth.join(':')).toString('base64')}`;
  } else if (opts.auth) {
    headers['x-auth-token'] = opts.auth.token;
  }
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await request(`${bmc.url}${path}`, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    dispatcher: opts.dispatcher ?? insecure,
  });
  const text = await res.body.text();
  return {
    status: res.statusCode,
    headers: res.headers,
    json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined,
  };
}

/** Calls with the BMC's own account. */
export const admin = (bmc: RedfishBmc): [string, string] => [bmc.username, bmc.password];

/** A Redfish action or change on a lab server, as a power worker would send it; throws on failure. */
export async function drive(
  server: { bmc: RedfishBmc; username: string; password: string },
  method: 'POST' | 'PATCH',
  path: string,
  body: unknown,
): Promise<void> {
  const res = await call(server.bmc, method, path, {
    auth: [server.username, server.password],
    body,
  });
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status}`);
}

/** ComputerSystem.Reset of a lab server. */
export const resetSystem = (
  server: { bmc: RedfishBmc; username: string; password: string; systemPath: string },
  resetType: string,
) =>
  drive(server, 'POST', `${server.systemPath}/Actions/ComputerSystem.Reset`, {
    ResetType: resetType,
  });
