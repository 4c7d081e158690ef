import { describe, expect, it } from 'vitest';
import { labCertificate } from '@ingot/lab';
import {
  agentCertificateProblem,
  checkAgentTls,
  MAX_AGENT_CERTIFICATE_BYTES,
  sameCertificate,
} from '../src/agent-tls.js';
import { selfSignedCertificate } from '../../../agent/src/server/auto-tls.js';

describe('agent_verify_ca', () => {
  it('takes one PEM certificate, with or without surrounding blanks', async () => {
    const { cert } = await labCertificate();
    expect(agentCertificateProblem(cert)).toBeUndefined();
    expect(agentCertificateProblem(`\n${cert.trim()}\r\n`)).toBeUndefined();
    expect(sameCertificate(cert, `  ${cert.trim()}\n`)).toBe(true);
  });

  it('refuses what is no certificate, a key, a chain, garbage in the PEM and oversized text', async () => {
    const { cert, key } = await labCertificate();
    const oneOf =
      'must be one PEM certificate (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----)';
    expect(agentCertificateProblem('hello')).toBe(oneOf);
    expect(agentCertificateProblem(key)).toBe(oneOf);
    expect(agentCertificateProblem(`${cert}${key}`)).toBe(oneOf);
    expect(agentCertificateProblem(`${cert}${cert}`)).toBe(oneOf);
    expect(
      agentCertificateProblem('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'),
    ).toMatch(/^is not a valid X\.509 certificate \(/);
    expect(agentCertificateProblem(cert + ' '.repeat(MAX_AGENT_CERTIFICATE_BYTES))).toBe(
      `is larger than ${MAX_AGENT_CERTIFICATE_BYTES} bytes`,
    );
  });
});

describe('the TLS rules of a heartbeat', () => {
  const https = 'https://192.0.2.5:9999';
  const http = 'http://192.0.2.5:9999';
  const refusal = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      return {
        status: (error as { statusCode?: number }).statusCode,
        message: (error as Error).message,
      };
    }
    return undefined;
  };

  it('pins a certificate that comes with an https URL, and lets an agent without one use HTTP', async () => {
    const { cert } = await labCertificate();
    const none = { agentVerifyCa: null };
    expect(checkAgentTls(68, { callback_url: https, agent_verify_ca: cert }, none, false)).toBe(
      cert,
    );
    expect(checkAgentTls(96, { callback_url: http }, none, false)).toBeUndefined();
    // IPA behind a CA of its own (manual TLS): https without a certificate to pin.
    expect(checkAgentTls(96, { callback_url: https }, none, false)).toBeUndefined();
  });

  it('refuses a certificate before 1.68, with an http URL, or that does not parse', async () => {
    const { cert } = await labCertificate();
    const none = { agentVerifyCa: null };
    expect(
      refusal(() => checkAgentTls(67, { callback_url: https, agent_verify_ca: cert }, none, false)),
    ).toEqual({
      status: 400,
      message: 'Field "agent_verify_ca" not recognised in this version',
    });
    expect(
      refusal(() => checkAgentTls(68, { callback_url: http, agent_verify_ca: cert }, none, false)),
    ).toEqual({
      status: 400,
      message: `Field agent_verify_ca needs an https callback_url, got '${http}'`,
    });
    expect(
      refusal(() => checkAgentTls(68, { callback_url: https, agent_verify_ca: 'x' }, none, false))
        ?.message,
    ).toMatch(/^Field agent_verify_ca must be one PEM certificate/);
  });

  it('holds an agent that registered a certificate to it: no plain HTTP, no heartbeat without it, no other one', async () => {
    const { cert } = await labCertificate();
    const other = (await selfSignedCertificate('192.0.2.5')).cert;
    const pinned = { agentVerifyCa: cert };
    expect(
      checkAgentTls(
        68,
        { callback_url: https, agent_verify_ca: `${cert.trim()}\n\n` },
        pinned,
        false,
      ),
    ).toBeDefined();
    expect(
      refusal(() => checkAgentTls(68, { callback_url: http }, pinned, false))?.message,
    ).toMatch(/^Field callback_url must stay https/);
    expect(
      refusal(() => checkAgentTls(68, { callback_url: https }, pinned, false))?.message,
    ).toMatch(/^Field agent_verify_ca is required/);
    expect(
      refusal(() =>
        checkAgentTls(68, { callback_url: https, agent_verify_ca: other }, pinned, false),
      )?.message,
    ).toMatch(/^Detected change in ramdisk provided "agent_verify_ca"/);
  });

  it('refuses any http callback URL when TLS is required (INGOT_AGENT_REQUIRE_TLS)', () => {
    expect(
      refusal(() => checkAgentTls(96, { callback_url: http }, { agentVerifyCa: null }, true)),
    ).toEqual({
      status: 400,
      message: `TLS is required by configuration (INGOT_AGENT_REQUIRE_TLS): callback_url must be https, got '${http}'`,
    });
    expect(
      checkAgentTls(96, { callback_url: https }, { agentVerifyCa: null }, true),
    ).toBeUndefined();
  });
});
