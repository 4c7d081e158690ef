import { authHeaders } from './credential.js';

/** Node history needs 1.78; every other call the console makes is older. */
export const API_VERSION = '1.78';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The sentence of an Ironic error body (`error_message` is JSON holding `faultstring`). */
function errorText(status: number, text: string): string {
  try {
    const body = JSON.parse(text) as { error_message?: string };
    const inner = body.error_message
      ? (JSON.parse(body.error_message) as { faultstring?: string })
      : undefined;
    if (inner?.faultstring) return inner.faultstring;
  } catch {
    // not an Ironic error body: the text says what it says
  }
  return text.slice(0, 300) || `HTTP ${status}`;
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(path, {
    method,
    headers: {
      'x-openstack-ironic-api-version': API_VERSION,
      ...authHeaders(),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new ApiError(response.status, errorText(response.status, text));
  return (text ? JSON.parse(text) : undefined) as T;
}

export interface Session {
  auth: 'noauth' | 'bearer' | 'http_basic';
  name: string;
  role: 'admin' | 'member' | 'reader' | null;
  project_id: string | null;
  can_act: boolean;
}

/** Who the stored credential is; a 401 carries the strategy so the page knows what to ask for. */
export async function fetchSession(): Promise<Session | { needs: Session['auth'] }> {
  const response = await fetch('/console/session', { headers: authHeaders() });
  const body = (await response.json()) as Session & { auth: Session['auth'] };
  if (response.status === 401) return { needs: body.auth };
  if (!response.ok)
    throw new ApiError(response.status, errorText(response.status, JSON.stringify(body)));
  return body;
}
