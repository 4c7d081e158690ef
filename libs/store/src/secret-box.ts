import { createCipheriv, createDecipheriv, createHash, randomBytes, scryptSync } from 'node:crypto';

/** Previous keys, still opened but no longer sealed with: INGOT_SECRET_KEY_PREVIOUS, …_PREVIOUS_<n>. */
const PREVIOUS_KEYS = /^INGOT_SECRET_KEY_PREVIOUS(_\w+)?$/;

const stretch = (passphrase: string, name: string): Buffer => {
  if (passphrase.length < 16) throw new Error(`${name} must be at least 16 characters long`);
  return scryptSync(passphrase, 'ingot-driver-secrets-v1', 32);
};
const idOf = (key: Buffer) => createHash('sha256').update(key).digest('hex').slice(0, 8);

/**
 * Encrypts secrets at rest (BMC credentials, agent tokens) with AES-256-GCM. The key comes from
 * INGOT_SECRET_KEY (any string of 16+ characters, stretched with scrypt); every service must be
 * given the same. Keys rotate: the newest seals, and values sealed with a previous key (given as
 * INGOT_SECRET_KEY_PREVIOUS*) still open, until `npm run secrets:reseal` has sealed them again.
 */
export class SecretBox {
  private readonly keys = new Map<string, Buffer>();
  /** The key that seals. */
  readonly keyId: string;

  constructor(passphrase: string, previous: readonly string[] = []) {
    const key = stretch(passphrase, 'INGOT_SECRET_KEY');
    this.keyId = idOf(key);
    this.keys.set(this.keyId, key);
    for (const old of previous) {
      const oldKey = stretch(old, 'INGOT_SECRET_KEY_PREVIOUS');
      if (!this.keys.has(idOf(oldKey))) this.keys.set(idOf(oldKey), oldKey);
    }
  }

  /** `v1:<key id>:<iv>:<tag>:<ciphertext>`, base64 parts. */
  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.keyId)!, iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const parts = [iv, cipher.getAuthTag(), body].map((b) => b.toString('base64'));
    return ['v1', this.keyId, ...parts].join(':');
  }

  open(sealed: string): string {
    const [version, keyId, iv, tag, body] = sealed.split(':');
    if (version !== 'v1' || !keyId || !iv || !tag || body === undefined) {
      throw new Error('A stored secret is not in a format this version understands');
    }
    const key = this.keys.get(keyId);
    if (!key) {
      throw new Error(
        `A stored secret was sealed with key ${keyId}, which is neither INGOT_SECRET_KEY (key ${this.keyId}) nor one of INGOT_SECRET_KEY_PREVIOUS*`,
      );
    }
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
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
      'INGOT_SECRET_KEY is not set: it encrypts BMC credentials and agent tokens at rest and must be the same for every service',
    );
  }
  const previous = Object.keys(env)
    .filter((name) => PREVIOUS_KEYS.test(name) && env[name])
    .sort()
    .map((name) => env[name]!);
  return new SecretBox(key, previous);
}
