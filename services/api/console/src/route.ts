import { useEffect, useState } from 'preact/hooks';

/** The console's pages, addressed by the URL's hash so the API serves one file for all of them. */
export type Route =
  | { page: 'overview' }
  | { page: 'nodes'; filters: URLSearchParams }
  | { page: 'node'; uuid: string };

export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean);
  if (parts[0] === 'nodes' && parts[1]) return { page: 'node', uuid: decodeURIComponent(parts[1]) };
  if (parts[0] === 'nodes') return { page: 'nodes', filters: new URLSearchParams(query) };
  return { page: 'overview' };
}

export const nodeHref = (uuid: string) => `#/nodes/${encodeURIComponent(uuid)}`;

export function listHref(filters: Record<string, string>): string {
  const query = new URLSearchParams(Object.entries(filters).filter(([, v]) => v !== '')).toString();
  return `#/nodes${query ? `?${query}` : ''}`;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
