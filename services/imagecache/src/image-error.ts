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

/** URL for messages and logs, without a password it may carry. */
export function displayUrl(source: string): string {
  try {
    const url = new URL(source);
    if (!url.password) return source;
    url.password = '***';
    return url.toString();
  } catch {
    return source;
  }
}
