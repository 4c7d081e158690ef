import {
  DRIVER_ADDRESS_KEYS,
  DRIVER_INFO_SCHEMAS,
  parse,
  ValidationError,
  type DriverName,
} from '@ingot/contracts';
import { invalid } from './errors.js';

/** Refuses driver_info that cannot work, naming the field, before anything is queued. */
export function checkDriverInfo(
  driver: string,
  driverInfo: Record<string, unknown>,
  forAction: boolean,
): void {
  const addressKey = DRIVER_ADDRESS_KEYS[driver as DriverName];
  if (!addressKey) return;
  const schema = DRIVER_INFO_SCHEMAS[driver as DriverName];
  try {
    if (forAction) parse(schema, driverInfo, 'driver_info');
    else if (Object.keys(driverInfo).length > 0) {
      // At enroll the address may come later; every field given must be right already.
      parse(schema, { [addressKey]: 'placeholder', ...driverInfo }, 'driver_info');
    }
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const fields = error.errors.map((e) => {
      const field = `driver_info${e.path.replace(/\//g, '.')}`;
      return e.message === 'Expected required property'
        ? `field '${field}' is required`
        : `field '${field}' ${e.message.toLowerCase()}`;
    });
    throw invalid(`Invalid driver_info for driver '${driver}': ${[...new Set(fields)].join('; ')}`);
  }
}
