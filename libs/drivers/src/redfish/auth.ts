import { BmcError, isBmcError } from '../errors.js';
import type { RedfishConfig } from './driver-config.js';
import { exchange } from './http.js';
import { statusError } from './status-errors.js';
import { TRANSPORT_KINDS } from './transport-errors.js';

/** How a client proves itself to a BMC. */
export interface Authenticator {
  /** Headers for the next request; may log in first. */
  headers(): Promise<Record<string, string>>;
  /**
   * After a 401 to a request sent with `rejected` headers: gets fresh credentials once; false
   * when that cannot help.
   */
  renew(rejected: Record<string, string>): Promise<boolean>;
  close(): Promise<void>;
}

export const DEFAULT_SESSIONS_PATH = '/redfish/v1/SessionService/Sessions';

export class BasicAuth implements Authenticator {
  private readonly header: Record<string, string>;

  constructor(config: RedfishConfig) {
    const { username, password } = config;
    const token = Buffer.from(`${username ?? ''}:${password ?? ''}`).toString('base64');
    this.header = username ? { authorization: `Basic ${token}` } : {};
  }

  headers = async () => this.header;
  renew = async () => false;
  close = async () => {};
}

/** Redfish sessions: one login, then X-Auth-Token on every call; logs in again when it expires. */
export class SessionAuth implements Authenticator {
  private session: Promise<{ token: string; location: string | undefined }> | undefined;

  constructor(
    private readonly config: RedfishConfig,
    private readonly sessionsPath: () => Promise<string>,
  ) {}

  async headers(): Promise<Record<string, string>> {
    // Concurrent first calls share one login.
    this.session ??= this.login();
    try {
      return { 'x-auth-token': (await this.session).token };
    } catch (err) {
      this.session = undefined;
      throw err;
    }
  }

  async renew(rejected: Record<string, string>): Promise<boolean> {
    const current = await this.session?.catch(() => undefined);
    // Calls that failed together share one new login instead of opening a session each.
    if (!current || current.token === rejected['x-auth-token']) {
      this.session = undefined;
      await this.headers();
    }
    return true;
  }

  async close(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    const opened = await session?.catch(() => undefined);
    if (!opened?.location) return;
    // Logging out is a courtesy to the BMC's session table; a failure changes nothing for us.
    await exchange(this.config, {
      method: 'DELETE',
      path: opened.location,
      headers: { 'x-auth-token': opened.token },
    }).catch(() => undefined);
  }

  private async login(): Promise<{ token: string; location: string | undefined }> {
    const { config } = this;
    const call = { method: 'POST' as const, path: await this.sessionsPath() };
    const answer = await exchange(config, {
      ...call,
      body: { UserName: config.username ?? '', Password: config.password ?? '' },
    });
    if (answer.status >= 400) throw statusError(config.bmc, config.username, call, answer);
    const token = answer.headers['x-auth-token'];
    if (typeof token !== 'string' || token === '') {
      throw new BmcError(
        'protocol',
        `BMC at ${config.bmc} created a session without an X-Auth-Token header`,
      );
    }
    const location = answer.headers.location;
    return {
      token,
      location:
        typeof location === 'string' ? new URL(location, config.origin).pathname : undefined,
    };
  }
}

/** Ironic's 'auto': sessions when the BMC offers them, HTTP basic otherwise. */
export class AutoAuth implements Authenticator {
  private chosen: Authenticator;
  private decided = false;

  constructor(
    private readonly config: RedfishConfig,
    sessionsPath: () => Promise<string>,
  ) {
    this.chosen = new SessionAuth(config, sessionsPath);
  }

  async headers(): Promise<Record<string, string>> {
    if (this.decided) return this.chosen.headers();
    try {
      const headers = await this.chosen.headers();
      this.decided = true;
      return headers;
    } catch (err) {
      // The network failing is not the session service failing: basic would fail the same way.
      if (isBmcError(err) && TRANSPORT_KINDS.includes(err.kind)) throw err;
      this.chosen = new BasicAuth(this.config);
      this.decided = true;
      return this.chosen.headers();
    }
  }

  renew = (rejected: Record<string, string>) => this.chosen.renew(rejected);
  close = () => this.chosen.close();
}

export function authenticatorFor(
  config: RedfishConfig,
  sessionsPath: () => Promise<string>,
): Authenticator {
  if (config.authType === 'basic') return new BasicAuth(config);
  if (config.authType === 'session') return new SessionAuth(config, sessionsPath);
  return new AutoAuth(config, sessionsPath);
}
