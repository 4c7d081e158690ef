import { StepError } from '../operations/fail.js';
import type { BootInterface } from './types.js';

/**
 * fake: nothing is inserted or served, so nothing is undone. Its hardware type deploys, cleans and
 * inspects without a ramdisk, so a request to boot one is a composition error, said as such.
 */
export const fakeBoot: BootInterface = {
  name: 'fake',
  eachRamdiskBoot: 'nothing prepared',

  prepareRamdisk(_ctx, leased) {
    return Promise.reject(
      new StepError(
        `Node ${leased.node.uuid} has boot_interface 'fake', which cannot boot the agent ramdisk`,
      ),
    );
  },

  cleanUpRamdisk: () => Promise.resolve(),
};
