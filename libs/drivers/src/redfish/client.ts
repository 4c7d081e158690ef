import { BmcError, isBmcError, withoutSecret } from '../errors.js';
import { DEFAULT_SESSIONS_PATH, authenticatorFor, type Authenticator } from './auth.js';
import type { RedfishConfig } from './driver-config.js';
import { exchange, type HttpAnswer, type HttpMethod } from './http.js';
import { asResource, linkOf, type Resource } from './resource.js';
import { statusError } from './status-errors.js';
import { TRANSPORT_KINDS } from './transport-errors.js';

export const SERVICE_ROOT = '/redfish/v1';

/** Authenticated JSON calls to one BMC on behalf of one node. */
export class RedfishClient {
  private readonly auth: Authenticator;
  private root: Promise<Resource> | undefined;

  constructor(readonly config: RedfishConfig) {
    this.auth = authenticatorFor(config, async () => {
      const root = await this.serviceRoot().catch((err: unknown): Resource => {
        // A BMC that hides its root still takes logins at the standard path; a dead one does not.
        if (isBmcError(err) && TRANSPORT_KINDS.includes(err.kind)) throw err;
        return {};
      });
      return linkOf(asResource(root.Links).Sessions) ?? DEFAULT_SESSIONS_PATH;
    });
  }

  /** The service root, readable without credentials; fetched once. */
  serviceRoot(): Promise<Resource> {
    this.root ??= exchange(this.config, { method: 'GET', path: SERVICE_ROOT }).then((answer) => {
      this.check('GET', SERVICE_ROOT, answer);
      return this.resource('GET', SERVICE_ROOT, answer);
    });
    this.root.catch(() => (this.root = undefined));
    return this.root;
  }

  async get(path: string): Promise<Resource> {
    return this.resource('GET', path, await this.send('GET', path));
  }

  post = (path: string, body: unknown) => this.send('POST', path, body);
  patch = (path: string, body: unknown) => this.send('PATCH', path, body);
  delete = (path: string) => this.send('DELETE', path);

  close(): Promise<void> {
    return this.auth.close();
  }

  private async send(method: HttpMethod, path: string, body?: unknown): Promise<HttpAnswer> {
    const call = { method, path, body };
    const headers = await this.auth.headers();
    let answer = await exchange(this.config, { ...call, headers });
    if (answer.status === 401 && (await this.auth.renew(headers))) {
      answer = await exchange(this.config, { ...call, headers: await this.auth.headers() });
    }
    this.check(method, path, answer);
    return answer;
  }

  private check(method: HttpMethod, path: string, answer: HttpAnswer): void {
    if (answer.status < 400) return;
    const error = statusError(this.config.bmc, this.config.username, { method, path }, answer);
    // A BMC may echo the request body into its error text.
    throw withoutSecret(error, this.config.password);
  }

  private resource(method: HttpMethod, path: string, answer: HttpAnswer): Resource {
    if (typeof answer.json === 'object' && answer.json !== null) return answer.json as Resource;
    throw new BmcError(
      'protocol',
      `BMC at ${this.config.bmc} answered ${method} ${path} without a JSON object (HTTP ${answer.status})`,
      { status: answer.status },
    );
  }
}
