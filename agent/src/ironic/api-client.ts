// Calls to the Ironic-compatible API: version discovery, lookup, heartbeat, inspection callback.
import type { AgentHeartbeatBody, ContinueInspectionBody } from '@ingot/contracts';
import { fetch, type Dispatcher, type Response } from 'undici';
import type { AgentLogger } from '../log.js';

export const LOOKUP_MAX_VERSION = '1.62';
export const HEARTBEAT_MAX_VERSION = '1.68';
/** The first version whose heartbeats carry agent_verify_ca. */
const AUTO_TLS_VERSION = '1.68';
/** Used when the server does not say which versions it serves (IPA's baseline). */
const FALLBACK_VERSION = '1.31';
const VERSION_HEADER = 'X-OpenStack-Ironic-API-Version';

export interface ApiResponse {
  status: number;
  body: unknown;
  text: string;
}

/** A transport failure (refused, reset, timed out): always worth a retry. */
export class ConnectionFailed extends Error {
  constructor(url: string, cause: unknown) {
    const why = (cause as { cause?: { code?: string; message?: string } }).cause;
    super(`cannot reach ${url}: ${why?.code ?? why?.message ?? (cause as Error).message}`);
    this.name = 'ConnectionFailed';
  }
}

export interface IronicClientOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  /** How HTTPS is verified (outbound-tls.ts); the system's CAs without one. */
  dispatcher?: Dispatcher;
}

export class IronicClient {
  private serverVersion: string | undefined;

  constructor(
    private readonly apiUrl: string,
    private readonly log: AgentLogger,
    private readonly opts: IronicClientOptions = {},
  ) {}

  /** Whether the server takes agent_verify_ca in heartbeats (Ironic 1.68, IPA's supports_auto_tls). */
  async supportsAutoTls(): Promise<boolean> {
    return minorOf(await this.serverMaxVersion()) >= minorOf(AUTO_TLS_VERSION);
  }

  /** The server's maximum version, asked once it answers (GET / → default_version.version). */
  async serverMaxVersion(): Promise<string> {
    if (this.serverVersion) return this.serverVersion;
    const res = await this.request('GET', `${this.apiUrl}/`);
    const body = res.body as { default_version?: { version?: unknown } } | null;
    const version = body?.default_version?.version;
    if (res.status === 200 && typeof version === 'string' && /^1\.\d+$/.test(version)) {
      this.serverVersion = version;
    } else {
      this.log.warn('API version discovery gave no version, assuming the baseline', {
        status: res.status,
        assumed: FALLBACK_VERSION,
      });
      this.serverVersion = FALLBACK_VERSION;
    }
    return this.serverVersion;
  }

  async lookup(addresses: string[], nodeUuid: string | undefined): Promise<ApiResponse> {
    const query = new URLSearchParams({ addresses: addresses.join(',') });
    if (nodeUuid) query.set('node_uuid', nodeUuid);
    const version = minVersion(await this.serverMaxVersion(), LOOKUP_MAX_VERSION);
    return this.request('GET', `${this.apiUrl}/v1/lookup?${query}`, undefined, version);
  }

  async heartbeat(nodeUuid: string, body: AgentHeartbeatBody): Promise<ApiResponse> {
    const version = minVersion(await this.serverMaxVersion(), HEARTBEAT_MAX_VERSION);
    return this.request(
      'POST',
      `${this.apiUrl}/v1/heartbeat/${encodeURIComponent(nodeUuid)}`,
      body,
      version,
    );
  }

  /** Inspection data goes to its own URL (Ingot: {api_url}/v1/continue_inspection). */
  async postInspection(url: string, body: ContinueInspectionBody): Promise<ApiResponse> {
    return this.request('POST', url, body);
  }

  private async request(
    method: string,
    url: string,
    body?: unknown,
    version?: string,
  ): Promise<ApiResponse> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (version) headers[VERSION_HEADER] = version;
    const timeout = AbortSignal.timeout(this.opts.timeoutMs ?? 30_000);
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: this.opts.signal ? AbortSignal.any([this.opts.signal, timeout]) : timeout,
        dispatcher: this.opts.dispatcher,
      });
      text = await res.text();
    } catch (err) {
      throw new ConnectionFailed(url, err);
    }
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    return { status: res.status, body: parsed, text };
  }
}

/** "1.9" < "1.62": versions compare by their minor number, not as strings. */
export function minVersion(a: string, b: string): string {
  return minorOf(a) <= minorOf(b) ? a : b;
}

const minorOf = (version: string) => Number(version.split('.')[1] ?? 0);
