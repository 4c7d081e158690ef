/**
 * The caller's credential, as the Authorization header value it is sent in, kept in
 * sessionStorage: it lives as long as the tab and is never written anywhere else.
 */
const KEY = 'ingot.console.authorization';

export function credential(): string | null {
  return sessionStorage.getItem(KEY);
}

export function saveBearerToken(token: string): void {
  sessionStorage.setItem(KEY, `Bearer ${token.trim()}`);
}

export function saveBasicCredential(user: string, password: string): void {
  // btoa takes Latin-1 only: encode as UTF-8 first, as browsers do for their own Basic prompt.
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  sessionStorage.setItem(KEY, `Basic ${btoa(String.fromCharCode(...bytes))}`);
}

export function forgetCredential(): void {
  sessionStorage.removeItem(KEY);
}

/** The headers every call to the API carries. */
export function authHeaders(): Record<string, string> {
  const value = credential();
  return value ? { authorization: value } : {};
}
