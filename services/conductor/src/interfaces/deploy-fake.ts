import { fakeClean, fakeDeploy as deployAtOnce } from '../operations/fake.js';
import type { DeployInterface } from './types.js';

/**
 * fake: nothing is written and nothing cleaned. A fake deploy passes `wait call-back` inside one
 * step, so a node found there with a free lease lost its conductor mid-step: the next one
 * finishes the deploy.
 */
export const fakeDeploy: DeployInterface = {
  name: 'fake',
  deploy: deployAtOnce,
  clean: fakeClean,
  resumeWait: deployAtOnce,
};
