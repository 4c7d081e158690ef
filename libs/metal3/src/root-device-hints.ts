import type { RootDeviceHints } from './baremetalhost.js';

/** Metal3's rootDeviceHints as Ironic's root_device property. */
export function rootDeviceOf(hints: RootDeviceHints | undefined): Record<string, unknown> | null {
  if (!hints) return null;
  const h = hints as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const copy: [string, string][] = [
    ['deviceName', 'name'],
    ['hctl', 'hctl'],
    ['model', 'model'],
    ['vendor', 'vendor'],
    ['serialNumber', 'serial'],
    ['wwn', 'wwn'],
    ['wwnWithExtension', 'wwn_with_extension'],
    ['wwnVendorExtension', 'wwn_vendor_extension'],
    ['rotational', 'rotational'],
  ];
  for (const [from, to] of copy) if (h[from] !== undefined && h[from] !== '') out[to] = h[from];
  if (typeof h.minSizeGigabytes === 'number' && h.minSizeGigabytes > 0)
    out.size = `>= ${h.minSizeGigabytes}`;
  return Object.keys(out).length > 0 ? out : null;
}
