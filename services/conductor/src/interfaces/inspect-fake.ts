import { fakeInspect as finishAtOnce } from '../operations/fake.js';
import type { InspectInterface } from './types.js';

/** fake: nothing to learn; the node is manageable again at once. */
export const fakeInspect: InspectInterface = { name: 'fake', inspect: finishAtOnce };
