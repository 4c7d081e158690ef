/**
 * Redaction of an agent's log line before it is stored. The agent masks what it knows to be
 * secret, but a line may quote a URL, a header or a command's output it did not think of, and a
 * stock or older agent masks nothing: the API does not trust it to have done so.
 */

export const REDACTED = '******';

/** Values shorter than this are not searched for: they would match by chance. */
const MIN_SECRET_LENGTH = 8;

/** `Authorization: Bearer x`, `"X-Auth-Token": "x"`, `proxy-authorization=Basic x`. */
const AUTH_HEADER =
  /\b((?:proxy-)?authorization|x-auth-token)(["']?\s*[:=]\s*["']?)((?:bearer|basic|digest|negotiate|token)\s+)?[^\s"',;}]+/gi;

/** `scheme://user:password@host` keeps the user, never the password. */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:@/"']*):([^\s@/"']+)@/gi;

/** A key that names a secret: password, passwd, secret, token, credential(s), private_key... */
const SECRET_KEY = String.raw`[\w.-]*(?:password|passwd|secret|token|credential|private_key|api_key)[\w.-]*`;

/** `"rescue_password": "x"` in JSON (the value may hold escaped quotes). */
const JSON_SECRET = new RegExp(String.raw`("${SECRET_KEY}"\s*:\s*)"(?:[^"\\]|\\.)*"`, 'gi');

/** `password=x`, `agent_token: x`, `?token=x&` in text and query strings. */
const TEXT_SECRET = new RegExp(
  String.raw`\b(${SECRET_KEY})(\s*[=:]\s*)(?!["'{[]|\*{6})([^\s,;"'&)}\]]+)`,
  'gi',
);

/**
 * The line with every known secret (the agent's token, the node's rescue password...) and every
 * secret-looking value replaced by `******`.
 */
export function redactLogLine(line: string, knownSecrets: readonly string[] = []): string {
  let out = line;
  for (const secret of knownSecrets)
    if (secret.length >= MIN_SECRET_LENGTH) out = out.split(secret).join(REDACTED);
  return out
    .replace(
      AUTH_HEADER,
      (_m, name: string, sep: string, scheme: string | undefined) =>
        `${name}${sep}${scheme ?? ''}${REDACTED}`,
    )
    .replace(URL_CREDENTIALS, `$1$2:${REDACTED}@`)
    .replace(JSON_SECRET, `$1"${REDACTED}"`)
    .replace(TEXT_SECRET, `$1$2${REDACTED}`);
}
