import type { BootDevice } from '@ingot/contracts';
import type { ConductorContext } from '../context.js';
import type { LeasedNode } from '../node-lease.js';

/**
 * Ironic's driver interfaces as the conductor runs them (ironic/drivers/base.py): each node's
 * `<interface>_interface` names one implementation, composed by its hardware type. The operations
 * call these and never ask which implementation they have.
 */

/** One piece of work on a leased node; failures a person can act on are OperationErrors. */
export type NodeStep = (
  ctx: ConductorContext,
  leased: LeasedNode,
  requestId?: string,
) => Promise<void>;

export type RamdiskPurpose = 'inspect' | 'clean' | 'deploy' | 'service' | 'rescue';

/** What a boot interface made ready: the device to boot once, and how history names the boot. */
export interface PreparedRamdisk {
  device: BootDevice;
  /** As in driver_internal_info's boot record: 'virtual media', 'network'. */
  medium: string;
  /** The words after "booting the agent ramdisk" in the node's history. */
  description: string;
}

/** How the agent ramdisk reaches the server, and how that is undone. */
export interface BootInterface {
  readonly name: string;
  /** What each boot of the ramdisk involved, for a last_error after the boots ran out. */
  readonly eachRamdiskBoot: string;
  /**
   * Makes the agent ramdisk bootable for `purpose` (an ISO in the virtual CD, an iPXE script for
   * the node's MACs) and sets up the agent's token; the caller then boots the returned device.
   */
  prepareRamdisk(
    ctx: ConductorContext,
    leased: LeasedNode,
    purpose: RamdiskPurpose,
    requestId?: string,
  ): Promise<PreparedRamdisk>;
  /** Undoes prepareRamdisk: the server's next boot goes to its disk. */
  cleanUpRamdisk: NodeStep;
}

/** How an instance is written and a node cleaned: with the agent, or not at all. */
export interface DeployInterface {
  readonly name: string;
  /** `deploying`: from a checked instance_info to `wait call-back` (or further). */
  deploy: NodeStep;
  /** `cleaning`, once the conductor decided that the node is cleaned. */
  clean: NodeStep;
  /**
   * `wait call-back` found without a live lease and with no agent that will call back: what a
   * conductor taking the node over runs. Absent when an agent drives the wait (its heartbeats).
   */
  resumeWait?: NodeStep;
}

/** How the hardware is learnt: from the agent's inventory, from the BMC, or not at all. */
export interface InspectInterface {
  readonly name: string;
  /** `inspecting`: to `inspect wait`, or to `manageable` when nothing has to be waited for. */
  inspect: NodeStep;
}

/**
 * How an active node is rescued (Ironic's RescueInterface): a ramdisk the owner logs in to with the
 * password they gave, their disk left as it is; and how the instance comes back.
 */
export interface RescueInterface {
  readonly name: string;
  /** `rescuing`: to `rescue wait` (a ramdisk to wait for) or on to `rescue`. */
  rescue: NodeStep;
  /** `unrescuing`: the rescue environment gone, the instance booted from its disk, `active`. */
  unrescue: NodeStep;
}

/** What a step asks for, as Ironic describes it: {interface, step, args, priority}. */
export interface StepRequest {
  interface: string;
  step: string;
  priority?: number;
  args?: Record<string, unknown>;
}

/** One argument of a step, as Ironic's argsinfo describes it. */
export interface StepArgument {
  description: string;
  required: boolean;
}

/**
 * A step the conductor carries out itself through the BMC (Ironic's out-of-band clean, deploy and
 * service steps: BIOS, RAID controllers, firmware).
 */
export interface ConductorStep {
  readonly step: string;
  /** Ironic's default priority: 0 runs only when asked for (manual cleaning, servicing). */
  readonly priority: number;
  readonly argsinfo: Readonly<Record<string, StepArgument>>;
  /** Carries the step out, or starts it (see StepResult). */
  run(
    ctx: ConductorContext,
    leased: LeasedNode,
    args: Record<string, unknown>,
    requestId?: string,
  ): Promise<StepResult>;
  /**
   * Goes on with a step that answered 'wait' (at each of the agent's heartbeats: 'poll') or
   * 'reboot' (once the ramdisk booted again: 'rebooted'), with the state it saved. Checks that the
   * step took effect; a StepError says what did not.
   */
  resume?(
    ctx: ConductorContext,
    leased: LeasedNode,
    args: Record<string, unknown>,
    resumed: { why: 'poll' | 'rebooted'; state: StepState },
    requestId?: string,
  ): Promise<StepResult>;
}

/** What a conductor step keeps between its calls (a BMC task's address, what is left to do). */
export type StepState = Record<string, unknown>;

/**
 * Where a conductor step is: done; waiting for the BMC (a task running) and asked again at the
 * next heartbeat; or in need of a restart to take effect (BIOS settings, firmware applied at POST),
 * after which the ramdisk is booted again and the step resumed.
 */
export type StepResult =
  | { kind: 'done' }
  | { kind: 'wait'; state: StepState; note?: string }
  | { kind: 'reboot'; state: StepState };

/**
 * A step the agent carries out for an interface (Ironic's AgentRAID: the agent's software RAID),
 * started and waited for like the deploy interface's agent steps. The conductor adds what the
 * agent needs to the node it sends, and records the agent's result once it succeeded (Ironic's
 * post_clean_step_hook).
 */
export interface AgentStep {
  readonly step: string;
  readonly priority: number;
  readonly argsinfo: Readonly<Record<string, StepArgument>>;
  /** Fields of the node sent with the step (e.g. target_raid_config, filtered by the args). */
  nodeFields?(leased: LeasedNode, args: Record<string, unknown>): Record<string, unknown>;
  /** Records the agent's command_result (clean_result, deploy_result) of the finished step. */
  finished?(
    ctx: ConductorContext,
    leased: LeasedNode,
    result: Record<string, unknown>,
    requestId?: string,
  ): Promise<void>;
}

/** An implementation of an interface whose work is steps (bios, raid, firmware). */
export interface StepsInterface {
  readonly name: string;
  readonly steps: readonly ConductorStep[];
  /** Steps the agent ramdisk runs for this implementation (agent raid). */
  readonly agentSteps?: readonly AgentStep[];
  /** Reads what the API shows of it into Ingot's cache (BIOS settings) when a node is managed. */
  cache?: NodeStep;
}
