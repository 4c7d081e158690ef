import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import bcrypt from 'bcryptjs';
import { principal, type Principal } from './policy.js';

/** bcrypt's prefixes: htpasswd -B writes $2y$; Python's bcrypt $2b$. Ironic accepts no other digest. */
const BCRYPT = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;

/** A verified user:password is remembered this long, so that not every request pays for bcrypt. */
const VERIFIED_TTL_MS = 5 * 60_000;
const MAX_VERIFIED = 1_000;

/**
 * The users of Ironic's `http_basic` auth strategy: an Apache htpasswd file whose passwords are
 * bcrypt digests (`htpasswd -nbB user password`), as Metal3's baremetal-operator and openstacksdk
 * use it. Every user is a system-scoped admin, as with Ironic, which gives http_basic users no
 * roles of their own.
 */
export class HtpasswdUsers {
  /**
   * bcrypt costs tens of milliseconds by design; a client sends its credentials with every
   * request. A success is kept as a SHA-256 of user and password (never the password) for a few
   * minutes; a failure is never kept, so a changed password is refused at once.
   */
  private readonly verified = new Map<string, number>();

  private constructor(private readonly digests: ReadonlyMap<string, string>) {}

  static fromFile(path: string): HtpasswdUsers {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new Error(
        `INGOT_AUTH_HTPASSWD_FILE ${path} cannot be read: ${(error as Error).message}`,
      );
    }
    return HtpasswdUsers.parse(text, path);
  }

  /** Parses htpasswd lines; refuses the file with the line number of anything but user:bcrypt. */
  static parse(text: string, source = 'htpasswd'): HtpasswdUsers {
    const digests = new Map<string, string>();
    text.split('\n').forEach((raw, index) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      const colon = line.indexOf(':');
      const user = line.slice(0, colon);
      const digest = line.slice(colon + 1);
      const where = `${source} line ${index + 1}`;
      if (colon <= 0) throw new Error(`${where} is not user:password-digest`);
      if (!BCRYPT.test(digest))
        throw new Error(`${where}: the password of '${user}' is not a bcrypt digest (htpasswd -B)`);
      if (digests.has(user)) throw new Error(`${where}: user '${user}' is listed twice`);
      // $2y$ (Apache's name) is the same algorithm as $2b$, which every bcrypt library reads.
      digests.set(user, digest.replace(/^\$2y\$/, '$2b$'));
    });
    if (digests.size === 0) throw new Error(`${source} lists no user: none could log in`);
    return new HtpasswdUsers(digests);
  }

  get size(): number {
    return this.digests.size;
  }

  /** The principal of `Authorization: Basic …` when its user and password match, else undefined. */
  async authenticate(header: string | undefined): Promise<Principal | undefined> {
    const credentials = basicCredentials(header);
    if (!credentials) return undefined;
    const { user, password } = credentials;
    const key = createHash('sha256').update(`${user}\0${password}`).digest('hex');
    const until = this.verified.get(key);
    if (until !== undefined && until > Date.now()) return principal(user, ['admin']);
    const digest = this.digests.get(user);
    // An unknown user costs a bcrypt comparison too, so response times do not list the users.
    const ok = await bcrypt.compare(password, digest ?? UNKNOWN_USER_DIGEST);
    if (!ok || digest === undefined) return undefined;
    if (this.verified.size >= MAX_VERIFIED) this.verified.clear();
    this.verified.set(key, Date.now() + VERIFIED_TTL_MS);
    return principal(user, ['admin']);
  }
}

/** A digest no password matches in practice, compared against for unknown users. */
const UNKNOWN_USER_DIGEST = bcrypt.hashSync(
  createHash('sha256').update('no such user').digest('hex'),
  10,
);

function basicCredentials(
  header: string | undefined,
): { user: string; password: string } | undefined {
  const encoded = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '')?.[1];
  if (!encoded) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
