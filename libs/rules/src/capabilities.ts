/**
 * Node capabilities live in properties.capabilities, as Ironic's "key1:value1,key2:value2"
 * string or, when a client stored one, as an object. Changes keep the form found.
 */
export function readCapabilities(stored: unknown): Map<string, string> {
  if (stored !== null && typeof stored === 'object' && !Array.isArray(stored)) {
    return new Map(Object.entries(stored).map(([k, v]) => [k, String(v)]));
  }
  const pairs = typeof stored === 'string' ? stored.split(',') : [];
  const capabilities = new Map<string, string>();
  for (const pair of pairs) {
    const at = pair.indexOf(':');
    if (at > 0) capabilities.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
  }
  return capabilities;
}

export function writeCapabilities(
  capabilities: Map<string, string>,
  like: unknown,
): string | Record<string, string> {
  if (like !== null && typeof like === 'object' && !Array.isArray(like)) {
    return Object.fromEntries(capabilities);
  }
  return [...capabilities].map(([k, v]) => `${k}:${v}`).join(',');
}
