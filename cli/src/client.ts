import { readFileSync } from 'node:fs';
import { Agent, fetch as undiciFetch, type RequestInit, type Response } from 'undici';
import { CliError, EXIT, usageError } from './exit-codes.js';

export interface ClientSettings {
  url: string;
  token?: string;
  username?: string;
  password?: string;
  cacert?: string;
}

/** --url/INGOT_URL, --token/INGOT_TOKEN or INGOT_USERNAME/INGOT_PASSWORD, --cacert/INGOT_CACERT. */
export function clientSettings(
  flags: { url?: string; token?: string; cacert?: string },
  env: NodeJS.ProcessEnv,
): ClientSettings {
  const url = (flags.url ?? env.INGOT_URL ?? 'http://127.0.0.1:6385').replace(/\/+$/, '');
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error();
  } catch {
    throw usageError(`--url (or INGOT_URL) must be an http(s) URL, got "${url}"`);
  }
  return {
    url,
    token: flags.token ?? (env.INGOT_TOKEN || undefined),
    username: env.INGOT_USERNAME || undefined,
    password: env.INGOT_PASSWORD || undefined,
    cacert: flags.cacert ?? (env.INGOT_CACERT || undefined),
  };
}

/** An answer of the API other than the one expected, with Ironic's error message unpacked. */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message, EXIT.api);
  }
}

/** The API's JSON over HTTP(S), at the newest microversion, with the caller's credentials. */
export class ApiClient {
  private readonly headers: Record<string, string>;
  private readonly dispatcher: Agent;

  constructor(readonly settings: ClientSettings) {
    this.headers = { 'x-openstack-ironic-api-version': 'latest' };
    if (settings.token) this.headers.authorization = `Bearer ${settings.token}`;
    else if (settings.username && settings.password)
      this.headers.authorization = `Basic ${Buffer.from(`${settings.username}:${settings.password}`).toString('base64')}`;
    let ca: string | undefined;
    if (settings.cacert) {
      try {
        ca = readFileSync(settings.cacert, 'utf8');
      } catch (error) {
        throw usageError(`--cacert ${settings.cacert} cannot be read: ${(error as Error).message}`);
      }
    }
    this.dispatcher = new Agent({ connect: ca ? { ca } : {}, keepAliveTimeout: 10_000 });
  }

  /** A raw request (the event stream reads its body as it comes). */
  async request(path: string, init: RequestInit = {}): Promise<Response> {
    try {
      return await undiciFetch(`${this.settings.url}${path}`, {
        ...init,
        headers: { ...this.headers, ...(init.headers as Record<string, string>) },
        dispatcher: this.dispatcher,
      });
    } catch (error) {
      if ((error as Error).name === 'AbortError') throw error;
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      // A certificate the client does not trust is not a wrong address: say what fixes it.
      if (/CERT|SSL|TLS/.test(cause?.code ?? ''))
        throw new CliError(
          `the Ingot API at ${this.settings.url} has a certificate this command does not trust (${cause?.code}: ${cause?.message}); pass the CA that signed it with --cacert FILE or INGOT_CACERT`,
          EXIT.api,
        );
      throw new CliError(
        `cannot reach the Ingot API at ${this.settings.url}: ${cause?.code ?? cause?.message ?? (error as Error).message} (set --url or INGOT_URL)`,
        EXIT.api,
      );
    }
  }

  /** JSON request; any status outside `ok` (default 2xx) is an ApiError naming the API's message. */
  async json<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    ok: (status: number) => boolean = (s) => s >= 200 && s < 300,
  ): Promise<{ status: number; body: T }> {
    const response = await this.request(path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!ok(response.status))
      throw new ApiError(
        response.status,
        describeFailure(method, path, response.status, parsed, text),
      );
    return { status: response.status, body: parsed as T };
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}

/** Ironic's error body holds a JSON string with faultstring; say that, not the envelope. */
export function describeFailure(
  method: string,
  path: string,
  status: number,
  body: unknown,
  text: string,
): string {
  let message = text.slice(0, 300);
  const envelope = (body as { error_message?: unknown })?.error_message;
  if (typeof envelope === 'string') {
    try {
      message = (JSON.parse(envelope) as { faultstring?: string }).faultstring ?? envelope;
    } catch {
      message = envelope;
    }
  }
  const hint =
    status === 401
      ? ' (give --token/INGOT_TOKEN or INGOT_USERNAME/INGOT_PASSWORD)'
      : status === 403
        ? ' (the credentials lack the role for this)'
        : '';
  return `${method} ${path}: HTTP ${status}: ${message}${hint}`;
}
