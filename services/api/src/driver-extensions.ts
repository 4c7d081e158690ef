import type { DriverInterface } from '@ingot/contracts';
import { ApiError } from './errors.js';

/**
 * Ironic's UnsupportedDriverExtension, raised by its no-* interfaces (ironic/drivers/modules/noop.py):
 * a 400, which some endpoints turn into a 404 ("RAID is a standard interface and all drivers might
 * not have it").
 */
export function unsupportedExtension(
  driver: string,
  iface: DriverInterface,
  status: 400 | 404 = 400,
): ApiError {
  return new ApiError(
    status,
    `Driver ${driver} does not support ${iface} (disabled or not implemented).`,
  );
}
