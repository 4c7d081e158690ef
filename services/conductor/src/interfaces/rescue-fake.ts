import { fakeRescue as rescueAtOnce, fakeUnrescue as unrescueAtOnce } from '../operations/fake.js';
import type { RescueInterface } from './types.js';

/** fake: nothing boots; rescue and unrescue finish at once, as a fake deploy does. */
export const fakeRescue: RescueInterface = {
  name: 'fake',
  rescue: rescueAtOnce,
  unrescue: unrescueAtOnce,
};
