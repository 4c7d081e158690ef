// How the agent process ends. In the lab, the supervisor reads the code and applies the power
// action to the simulated machine.
import type { Departure } from './commands/definition.js';

export const EXIT_CODES = {
  /** Stopped by SIGTERM/SIGINT. */
  stopped: 0,
  /** Cannot go on: lookup timed out, agent token unusable, startup failed. */
  fatal: 1,
  /** The configuration file is missing or invalid. */
  badConfig: 2,
  /** lab: standby.power_off. */
  powerOff: 80,
  /** lab: standby.run_image (reboot into the written image). */
  reboot: 81,
  /** system.lockdown: the agent refuses further work. */
  lockdown: 82,
  /** rescue.finalize_rescue: the agent left the running ramdisk to the rescue user. */
  rescued: 83,
} as const;

export function exitCodeFor(departure: Departure): number {
  switch (departure) {
    case 'power_off':
      return EXIT_CODES.powerOff;
    case 'reboot':
      return EXIT_CODES.reboot;
    case 'lockdown':
      return EXIT_CODES.lockdown;
    case 'rescue':
      return EXIT_CODES.rescued;
  }
}
