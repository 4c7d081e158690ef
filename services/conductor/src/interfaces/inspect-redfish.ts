import { inspectOutOfBand } from '../operations/oob-inspect.js';
import type { InspectInterface } from './types.js';

/** redfish: the BMC describes the hardware; nothing boots (operations/oob-inspect.ts). */
export const redfishInspect: InspectInterface = { name: 'redfish', inspect: inspectOutOfBand };
