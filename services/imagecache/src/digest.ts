import type { ImageCacheCommand } from '@ingot/contracts';
import { ImageError, displayUrl } from './image-error.js';

export type HashAlgorithm = 'sha256' | 'sha512' | 'md5';

export interface ExpectedDigest {
  algo: HashAlgorithm;
  /** Lower-case hex. */
  hex: string;
}

export type PreparePayload = Extract<ImageCacheCommand, { type: 'image.prepare' }>['payload'];

const HEX_LENGTH: Record<HashAlgorithm, number> = { sha256: 64, sha512: 128, md5: 32 };

/**
 * The digest an image must have. Ingot never stores an unverified image, so a missing checksum
 * is refused, and md5 only passes when the command or the operator allowed it.
 */
export function expectedDigest(
  payload: PreparePayload,
  allowMd5ByDefault: boolean,
): ExpectedDigest {
  const source = displayUrl(payload.image_source);
  const hex = (payload.checksum ?? '').trim().toLowerCase();
  if (hex === '')
    throw new ImageError(
      'invalid',
      `No checksum given for ${source}: Ingot only writes images it can verify; set the image's checksum (sha256 or sha512)`,
    );
  if (!/^[0-9a-f]+$/.test(hex))
    throw new ImageError('invalid', `The checksum for ${source} is not hexadecimal: "${hex}"`);
  const inferred = (Object.keys(HEX_LENGTH) as HashAlgorithm[]).find(
    (algo) => HEX_LENGTH[algo] === hex.length,
  );
  const algo = payload.hash_algo ?? inferred;
  if (!algo)
    throw new ImageError(
      'invalid',
      `The checksum for ${source} has ${hex.length} hex digits, which is neither sha256 (64), sha512 (128) nor md5 (32); name the algorithm in hash_algo`,
    );
  if (HEX_LENGTH[algo] !== hex.length)
    throw new ImageError(
      'invalid',
      `The checksum for ${source} has ${hex.length} hex digits but ${algo} needs ${HEX_LENGTH[algo]}`,
    );
  if (algo === 'md5' && !(payload.allow_md5 ?? allowMd5ByDefault))
    throw new ImageError(
      'invalid',
      `The checksum for ${source} is md5, which is refused as too weak; give a sha256 or sha512 checksum, or allow md5 (INGOT_ALLOW_MD5=true)`,
    );
  return { algo, hex };
}
