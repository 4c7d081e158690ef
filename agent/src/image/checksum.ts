// Which digest an image must match, and checking it.
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { AgentError } from '../errors.js';
import type { ImageInfo } from './image-info.js';

export type HashAlgorithm = 'sha256' | 'sha512' | 'md5';

export interface ExpectedDigest {
  algorithm: HashAlgorithm;
  value: string;
}

const BY_LENGTH: Record<number, HashAlgorithm> = { 32: 'md5', 64: 'sha256', 128: 'sha512' };

/**
 * os_hash_algo/os_hash_value win over the legacy `checksum` (whose algorithm is read from an
 * "algo:" prefix or guessed from its length). md5 is only accepted when explicitly allowed.
 */
export function expectedDigest(info: ImageInfo): ExpectedDigest {
  let digest: ExpectedDigest;
  if (info.os_hash_algo && info.os_hash_value) {
    digest = { algorithm: algorithmNamed(info.os_hash_algo), value: info.os_hash_value };
  } else {
    const raw = String(info.checksum ?? '');
    const prefixed = /^(\w+):([0-9a-f]+)$/i.exec(raw);
    if (prefixed?.[1] && prefixed[2]) {
      digest = { algorithm: algorithmNamed(prefixed[1]), value: prefixed[2] };
    } else {
      const algorithm = BY_LENGTH[raw.length];
      if (!algorithm || !/^[0-9a-f]+$/i.test(raw)) {
        throw AgentError.invalidParams(
          `Image checksum "${raw}" is not a recognised md5, sha256 or sha512 digest`,
        );
      }
      digest = { algorithm, value: raw };
    }
  }
  if (digest.algorithm === 'md5' && info.allow_md5 !== true) {
    throw AgentError.invalidParams(
      'md5 image checksums are refused (set image_info.allow_md5 to allow them)',
    );
  }
  return { algorithm: digest.algorithm, value: digest.value.toLowerCase() };
}

function algorithmNamed(name: string): HashAlgorithm {
  const normalised = name.toLowerCase().replace('-', '');
  if (normalised === 'sha256' || normalised === 'sha512' || normalised === 'md5') return normalised;
  throw AgentError.invalidParams(
    `Image hash algorithm "${name}" is not supported (sha256, sha512, md5)`,
  );
}

export function newHash(algorithm: HashAlgorithm): Hash {
  return createHash(algorithm);
}

export function checksumMismatch(url: string, expected: string, got: string): AgentError {
  return AgentError.imageChecksum(
    `Image checksum mismatch for ${url}: expected ${expected}, got ${got}`,
  );
}
