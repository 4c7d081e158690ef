import { isIP } from 'node:net';

/** What a BareMetalHost's bmc.address becomes on an Ingot node. */
export interface BmcAccess {
  driver: 'redfish' | 'ipmi';
  /** driver_info without the credentials (they come from the Secret). */
  driverInfo: Record<string, unknown>;
  bootInterface: 'redfish-virtual-media' | 'ipxe';
  /** The BMC's host name or address, for the loopback check and messages. */
  host: string;
}

/** A BMC address Ingot cannot use; the message names the scheme or field to fix. */
export class BmcAddressError extends Error {
  override name = 'BmcAddressError';
}

/** Metal3's BMC schemes Ingot serves, and what each means (baremetal-operator's bmc package). */
const SCHEMES: Record<
  string,
  { driver: 'redfish' | 'ipmi'; http?: 'http' | 'https'; boot: BmcAccess['bootInterface'] }
> = {
  redfish: { driver: 'redfish', http: 'https', boot: 'ipxe' },
  'redfish+http': { driver: 'redfish', http: 'http', boot: 'ipxe' },
  'redfish+https': { driver: 'redfish', http: 'https', boot: 'ipxe' },
  'redfish-virtualmedia': { driver: 'redfish', http: 'https', boot: 'redfish-virtual-media' },
  'redfish-virtualmedia+http': { driver: 'redfish', http: 'http', boot: 'redfish-virtual-media' },
  'redfish-virtualmedia+https': {
    driver: 'redfish',
    http: 'https',
    boot: 'redfish-virtual-media',
  },
  ipmi: { driver: 'ipmi', boot: 'ipxe' },
};

/**
 * Parses bmc.address as Metal3 does: `redfish[+http|+https]://host[:port]/path/of/System`,
 * `redfish-virtualmedia[+http|+https]://…`, `ipmi://host[:port]` (or a bare host: IPMI).
 */
export function parseBmcAddress(
  address: string,
  disableCertificateVerification = false,
): BmcAccess {
  const trimmed = address.trim();
  if (trimmed === '') throw new BmcAddressError('spec.bmc.address is empty');
  const withScheme = trimmed.includes('://') ? trimmed : `ipmi://${trimmed}`;
  const scheme = withScheme.slice(0, withScheme.indexOf('://')).toLowerCase();
  const known = SCHEMES[scheme];
  if (!known) {
    throw new BmcAddressError(
      `Unsupported BMC address scheme '${scheme}' in '${trimmed}': Ingot serves ${Object.keys(SCHEMES).join(', ')}`,
    );
  }
  let url: URL;
  try {
    url = new URL(`http://${withScheme.slice(withScheme.indexOf('://') + 3)}`);
  } catch {
    throw new BmcAddressError(`BMC address '${trimmed}' is not a valid URL`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host === '') throw new BmcAddressError(`BMC address '${trimmed}' has no host`);
  if (known.driver === 'ipmi') {
    return {
      driver: 'ipmi',
      host,
      bootInterface: known.boot,
      driverInfo: { ipmi_address: host, ...(url.port ? { ipmi_port: Number(url.port) } : {}) },
    };
  }
  const hostPart = url.port ? `${url.hostname}:${url.port}` : url.hostname;
  const systemPath = url.pathname === '/' ? '' : url.pathname;
  return {
    driver: 'redfish',
    host,
    bootInterface: known.boot,
    driverInfo: {
      redfish_address: `${known.http}://${hostPart}`,
      ...(systemPath ? { redfish_system_id: systemPath } : {}),
      ...(disableCertificateVerification ? { redfish_verify_ca: false } : {}),
    },
  };
}

/** True for an address in 127.0.0.0/8 (or ::1, or `localhost`). */
export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  if (isIP(host) === 4) return host.split('.')[0] === '127';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host);
  return mapped ? mapped[1]!.split('.')[0] === '127' : false;
}
