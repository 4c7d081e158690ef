import type { ImageErrorKind } from '@ingot/contracts';

/** A failure the requester must hear about; `message` is worded for a person to act on. */
export class ImageError extends Error {
  constructor(
    readonly kind: ImageErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'ImageError';
  }
}

export { displayUrl } from '@ingot/service';
