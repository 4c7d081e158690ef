// ironic-python-agent's automatic TLS (tls_utils.py): a key and a self-signed certificate made
// at start for the address the conductor calls, so that the command API is served over HTTPS and
// the conductor can pin the certificate it receives in the heartbeat (agent_verify_ca).
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { webcrypto } from 'node:crypto';
import { SubjectAlternativeNameExtension, X509CertificateGenerator } from '@peculiar/x509';

export interface AgentTls {
  /** PKCS#8 PEM; kept in memory only (IPA writes it under /run), never logged. */
  key: string;
  /** The PEM sent as agent_verify_ca. */
  cert: string;
}

/** IPA's choices: P-384 (tls_certificate_curve), SHA-512, 90 days, 1 h of clock skew allowed. */
const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-384', hash: 'SHA-512' };
const VALID_DAYS = 90;
const ALLOWED_CLOCK_SKEW_MS = 3600 * 1000;
const DAY_MS = 24 * 3600 * 1000;

/** A key and a certificate valid for `host` (an IP address or a DNS name) and nothing else. */
export async function selfSignedCertificate(host: string, now = new Date()): Promise<AgentTls> {
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const bare = host.replace(/^\[|\]$/g, '');
  const name = isIP(bare)
    ? { type: 'ip' as const, value: bare }
    : { type: 'dns' as const, value: bare };
  const certificate = await X509CertificateGenerator.createSelfSigned(
    {
      name: [{ CN: [hostname() || 'ironic-python-agent'] }],
      keys,
      signingAlgorithm: ALGORITHM,
      notBefore: new Date(now.getTime() - ALLOWED_CLOCK_SKEW_MS),
      notAfter: new Date(now.getTime() + VALID_DAYS * DAY_MS),
      // Critical, as IPA marks it: a verifier that cannot read it must not accept the certificate.
      extensions: [new SubjectAlternativeNameExtension([name], true)],
    },
    webcrypto,
  );
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return { key: pem('PRIVATE KEY', pkcs8), cert: certificate.toString('pem') };
}

function pem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
