import { createCipheriv, createDecipheriv, createHash, randomBytes, scryptSync } from 'node:crypto';

/**
 * Encrypts BMC credentials at rest with AES-256-GCM. The key comes from INGOT_SECRET_KEY (any
 * string of 16+ characters, stretched with scrypt); every service that reads or writes driver
 * secrets (api, power workers) must be given the same key.
 */
export class SecretBox {
  private readonly key: Buffer;
  readonly keyId: string;

  constructor(passphrase: string) {
    if (passphrase.length < 16) {
      throw new Error('INGOT_SECRET_KEY must be at least 16 characters long');
    }
    this.key = scryptSync(passphrase, 'ingot-driver-secrets-v1', 32);
    this.keyId = createHash('sha256').update(this.key).digest('hex').slice(0, 8);
  }

  /** `v1:<key id>:<iv>:<tag>:<ciphertext>`, base64 parts. */
  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const parts = [iv, cipher.getAuthTag(), body].map((b) => b.toString('base64'));
    return ['v1', this.keyId, ...parts].join(':');
  }

  open(sealed: string): string {
    const [version, keyId, iv, tag, body] = sealed.split(':');
    if (version !== 'v1' || !iv || !tag || body === undefined) {
      throw new Error('Stored driver secrets are not in a format this version understands');
    }
    if (keyId !== this.keyId) {
      throw new Error(
        `Stored driver secrets were sealed with key ${keyId}, but INGOT_SECRET_KEY is key ${this.keyId}`,
      );
    }
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString(
      'utf8',
    );
  }
}

export function secretBoxFromEnv(env: NodeJS.ProcessEnv = process.env): SecretBox {
  const key = env.INGOT_SECRET_KEY;
  if (!key) {
    throw new Error(
      'INGOT_SECRET_KEY is not set: it encrypts BMC credentials at rest and must be the same for the api and power services',
    );
  }
  return new SecretBox(key);
}
