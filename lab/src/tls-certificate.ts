import { generate } from 'selfsigned';

export interface TlsMaterial {
  key: string;
  cert: string;
}

let shared: Promise<TlsMaterial> | undefined;

/**
 * One self-signed certificate for 127.0.0.1 and localhost, made once per process: every lab BMC
 * presents it, so a client either trusts it (as a CA bundle) or skips verification.
 */
export function labCertificate(): Promise<TlsMaterial> {
  shared ??= generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  }).then((pems) => ({ key: pems.private, cert: pems.cert }));
  return shared;
}
