import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export interface Credentials {
  username: string;
  password: string;
}

/** Who may talk to one BMC: its single account and the sessions opened with it. */
export class BmcAuth {
  private readonly sessions = new Map<string, { id: string; username: string }>();
  /** Session id → token, so that a light host's thousands of sessions close in O(1). */
  private readonly tokens = new Map<string, string>();
  private nextSessionId = 1;

  constructor(private readonly account: Credentials) {}

  matches(username: unknown, password: unknown): boolean {
    return (
      typeof username === 'string' &&
      typeof password === 'string' &&
      sameText(username, this.account.username) &&
      sameText(password, this.account.password)
    );
  }

  /** Accepts a live X-Auth-Token or correct HTTP basic credentials. */
  admits(headers: IncomingHttpHeaders): boolean {
    const token = headers['x-auth-token'];
    if (typeof token === 'string') return this.sessions.has(token);
    const basic = /^Basic\s+(\S+)$/i.exec(headers.authorization ?? '');
    if (!basic?.[1]) return false;
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 && this.matches(decoded.slice(0, colon), decoded.slice(colon + 1));
  }

  openSession(): { id: string; token: string } {
    const id = String(this.nextSessionId++);
    const token = randomBytes(24).toString('hex');
    this.sessions.set(token, { id, username: this.account.username });
    this.tokens.set(id, token);
    return { id, token };
  }

  closeSession(id: string): boolean {
    const token = this.tokens.get(id);
    if (token === undefined) return false;
    this.tokens.delete(id);
    return this.sessions.delete(token);
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  sessionIds(): string[] {
    return [...this.tokens.keys()];
  }

  findSession(id: string): { id: string; username: string } | undefined {
    const token = this.tokens.get(id);
    return token === undefined ? undefined : this.sessions.get(token);
  }

  /** Forgets every session, as a BMC does on reboot or idle timeout. */
  expireSessions(): void {
    this.sessions.clear();
    this.tokens.clear();
  }
}

export const randomPassword = (): string => randomUUID().replaceAll('-', '').slice(0, 16);

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
