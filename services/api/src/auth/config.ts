/**
 * How the REST API authenticates. `noauth` (Ironic's auth_strategy=noauth) treats every request as
 * a system-scoped admin, for local use. `bearer` takes a token from `Authorization: Bearer <token>`
 * or keystone's `X-Auth-Token: <token>` and maps it to a principal (roles, optional project) from a
 * token file of SHA-256 digests and, for development, one admin token from the environment.
 * `http_basic` (Ironic's) checks `Authorization: Basic` against an htpasswd file of bcrypt digests;
 * its users are admins. Keystone itself is not spoken.
 */
export type AuthStrategy = 'noauth' | 'bearer' | 'http_basic';

export interface AuthConfig {
  strategy: AuthStrategy;
  /** JSON file of `{ token_sha256, name, roles, project_id? }` entries; read once at start. */
  tokensFile: string | null;
  /** A development admin token (system scope), given in clear in the environment. */
  adminToken: string | null;
  /** http_basic: Apache htpasswd file of bcrypt digests (Ironic's http_basic_auth_user_file). */
  htpasswdFile: string | null;
}

/** Shorter admin tokens are refused: they would be guessable. */
export const MIN_ADMIN_TOKEN_LENGTH = 16;

export function authConfigFromEnv(env: NodeJS.ProcessEnv = process.env): AuthConfig {
  const tokensFile = env.INGOT_AUTH_TOKENS_FILE?.trim() || null;
  const adminToken = env.INGOT_ADMIN_TOKEN?.trim() || null;
  const htpasswdFile = env.INGOT_AUTH_HTPASSWD_FILE?.trim() || null;
  const given = env.INGOT_AUTH_STRATEGY?.trim().toLowerCase();
  // Unset: noauth, unless a token source is configured, so that setting tokens never leaves the
  // API open by omission. An explicit noauth wins (and the tokens are not used).
  const strategy = given || (tokensFile || adminToken ? 'bearer' : 'noauth');
  if (strategy === 'keystone') {
    throw new Error(
      'INGOT_AUTH_STRATEGY=keystone is not supported: use bearer with a token file, or noauth',
    );
  }
  if (strategy !== 'noauth' && strategy !== 'bearer' && strategy !== 'http_basic') {
    throw new Error(`INGOT_AUTH_STRATEGY must be noauth, bearer or http_basic, got "${given}"`);
  }
  if (strategy === 'http_basic' && !htpasswdFile) {
    throw new Error('INGOT_AUTH_STRATEGY=http_basic needs INGOT_AUTH_HTPASSWD_FILE (htpasswd -B)');
  }
  if (strategy === 'bearer' && !tokensFile && !adminToken) {
    throw new Error(
      'INGOT_AUTH_STRATEGY=bearer needs INGOT_AUTH_TOKENS_FILE or INGOT_ADMIN_TOKEN: no token could be accepted',
    );
  }
  if (adminToken && adminToken.length < MIN_ADMIN_TOKEN_LENGTH) {
    throw new Error(`INGOT_ADMIN_TOKEN must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters`);
  }
  return { strategy, tokensFile, adminToken, htpasswdFile };
}
