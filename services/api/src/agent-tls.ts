// What the API accepts of an agent's TLS in heartbeats: IPA's auto TLS certificate
// (agent_verify_ca, Ironic 1.68) and the https callback URL that goes with it.
import { X509Certificate } from 'node:crypto';
import type { NodeRow } from '@ingot/store';
import { V } from './api-version.js';
import { badRequest } from './errors.js';

/**
 * Bound on a heartbeat's agent_verify_ca. IPA's auto TLS certificate is under 2 KiB (P-521 at
 * most); the column keeps one per node and every heartbeat carries it again.
 */
export const MAX_AGENT_CERTIFICATE_BYTES = 16 * 1024;

const ONE_PEM_CERTIFICATE =
  /^-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----$/;

/**
 * Why `pem` cannot be the certificate an agent serves its command API with (IPA's auto TLS), or
 * undefined when it can: one PEM certificate that parses, and nothing else (no key, no chain).
 */
export function agentCertificateProblem(pem: string): string | undefined {
  if (Buffer.byteLength(pem) > MAX_AGENT_CERTIFICATE_BYTES)
    return `is larger than ${MAX_AGENT_CERTIFICATE_BYTES} bytes`;
  if (!ONE_PEM_CERTIFICATE.test(pem.trim()))
    return 'must be one PEM certificate (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----)';
  try {
    new X509Certificate(pem);
  } catch (error) {
    return `is not a valid X.509 certificate (${(error as Error).message})`;
  }
  return undefined;
}

/** Ironic compares a heartbeat's certificate with the stored one without surrounding blanks. */
export const sameCertificate = (a: string, b: string): boolean => a.trim() === b.trim();

/**
 * The TLS rules of a heartbeat (IPA's auto TLS, Ironic 1.68): a certificate comes with an https
 * callback_url, parses and stays the same for the whole operation; an agent that registered one
 * never goes back to plain HTTP or to no certificate. Returns the certificate to pin, if any.
 */
export function checkAgentTls(
  apiMinor: number,
  body: { callback_url: string; agent_verify_ca?: string },
  node: Pick<NodeRow, 'agentVerifyCa'>,
  requireTls: boolean,
): string | undefined {
  const verifyCa = body.agent_verify_ca || undefined;
  const https = body.callback_url.startsWith('https://');
  if (verifyCa !== undefined) {
    // Ironic's words: older clients cannot have meant it.
    if (apiMinor < V.AGENT_VERIFY_CA)
      throw badRequest('Field "agent_verify_ca" not recognised in this version');
    const problem = agentCertificateProblem(verifyCa);
    if (problem) throw badRequest(`Field agent_verify_ca ${problem}`);
    if (!https)
      throw badRequest(
        `Field agent_verify_ca needs an https callback_url, got '${body.callback_url}'`,
      );
  }
  if (node.agentVerifyCa) {
    if (!https)
      throw badRequest(
        'Field callback_url must stay https: this agent registered a TLS certificate (agent_verify_ca), plain HTTP is refused',
      );
    if (verifyCa === undefined)
      throw badRequest(
        'Field agent_verify_ca is required: this agent registered a TLS certificate, and a heartbeat without it is refused',
      );
    if (!sameCertificate(verifyCa, node.agentVerifyCa))
      throw badRequest(
        'Detected change in ramdisk provided "agent_verify_ca": it differs from the certificate registered for this operation',
      );
  }
  if (requireTls && !https)
    throw badRequest(
      `TLS is required by configuration (INGOT_AGENT_REQUIRE_TLS): callback_url must be https, got '${body.callback_url}'`,
    );
  return verifyCa;
}
