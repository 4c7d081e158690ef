import {
  FirmwareUpdateSettingsSchema,
  parse,
  ValidationError,
  type FirmwareComponent,
  type FirmwareTaskHandle,
  type FirmwareUpdateSetting,
} from '@ingot/contracts';
import { recordFirmwareComponents } from '@ingot/store';
import type { ConductorContext } from '../context.js';
import type { LeasedNode } from '../node-lease.js';
import { StepError } from '../operations/fail.js';
import type { StepResult, StepsInterface } from './types.js';

/**
 * Where the update step is, kept between its calls: the component it is at (`index` in settings),
 * and whether its BMC task runs, the reboot that applies it is awaited, or the `wait` asked for
 * after it runs out.
 */
interface UpdateState {
  index: number;
  phase: 'task' | 'reboot' | 'wait';
  /** The BMC's task for the component, as bmc.firmware_update answered it. */
  task?: FirmwareTaskHandle;
  /** The component's version before its update, to tell that the update took. */
  before?: string;
  /** ISO time at which the `wait` after the component ends. */
  waitUntil?: string;
}

const failed = (message: string) => new StepError(`firmware step update failed: ${message}`);

/** The update step's `settings`, checked as Ironic's validate_firmware_interface_update_args. */
function settingsOf(args: Record<string, unknown>): FirmwareUpdateSetting[] {
  try {
    return parse(FirmwareUpdateSettingsSchema, args.settings, "the 'settings' argument of update");
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    throw new StepError(
      `firmware step update needs 'settings', a list of {"component": "bios" | "bmc" | "nic:<id>", "url": ..., "wait"?: seconds}: ${error.message}`,
    );
  }
}

/** Reads the firmware components from the BMC into the node's table (cache_firmware_components). */
export async function cacheFirmwareComponents(
  ctx: ConductorContext,
  leased: LeasedNode,
  requestId?: string,
  opts: { flashed?: string[] } = {},
): Promise<Map<string, FirmwareComponent>> {
  const { firmware_components: components = [] } = await ctx.bmc.call(
    leased.node,
    'bmc.firmware_components',
    {},
    requestId,
  );
  await recordFirmwareComponents(ctx.db, leased.node.uuid, components, opts);
  return new Map(components.map((c) => [c.component, c]));
}

/** Starts the update of settings[index] on the BMC; the step then waits for its task. */
async function startUpdate(
  ctx: ConductorContext,
  leased: LeasedNode,
  settings: FirmwareUpdateSetting[],
  index: number,
  requestId?: string,
): Promise<StepResult> {
  const setting = settings[index]!;
  const components = await cacheFirmwareComponents(ctx, leased, requestId);
  const before = components.get(setting.component)?.current_version;
  const reply = await ctx.bmc.call(leased.node, 'bmc.firmware_update', setting, requestId);
  if (!reply.firmware_task) {
    throw failed(
      `the BMC took the ${setting.component} update from ${setting.url}, but the answer naming its task was lost; check the BMC's task service before cleaning again`,
    );
  }
  const state: UpdateState = { index, phase: 'task', task: reply.firmware_task, before };
  return {
    kind: 'wait',
    state: { ...state },
    note: `${setting.component} firmware ${index + 1} of ${settings.length} from ${setting.url} is being flashed by the BMC (version ${before ?? 'unknown'} now)`,
  };
}

/** Asks the BMC how the component's update task is doing. */
async function pollTask(
  ctx: ConductorContext,
  leased: LeasedNode,
  settings: FirmwareUpdateSetting[],
  state: UpdateState,
  requestId?: string,
): Promise<StepResult> {
  const setting = settings[state.index]!;
  if (!state.task) throw failed(`the BMC task of the ${setting.component} update is not known`);
  const { firmware_status: status } = await ctx.bmc.call(
    leased.node,
    'bmc.firmware_task',
    { task: state.task },
    requestId,
  );
  if (!status) throw failed(`the power worker did not say how the ${setting.component} update is`);
  if (status.state === 'failed') {
    throw failed(
      `the BMC could not update ${setting.component} from ${setting.url}: ${status.message ?? 'it gave no reason'}`,
    );
  }
  if (status.state === 'running') {
    const percent = typeof status.percent === 'number' ? ` (${status.percent}%)` : '';
    return {
      kind: 'wait',
      state: { ...state },
      note: `the BMC is still flashing ${setting.component}${percent}`,
    };
  }
  if (status.reboot_required) return { kind: 'reboot', state: { ...state, phase: 'reboot' } };
  return componentDone(ctx, leased, settings, state, requestId);
}

/**
 * The component's update ran (and the reboot it needed): the BMC must report a new version, which
 * is recorded as the last flashed; then the `wait` asked for, then the next component.
 */
async function componentDone(
  ctx: ConductorContext,
  leased: LeasedNode,
  settings: FirmwareUpdateSetting[],
  state: UpdateState,
  requestId?: string,
): Promise<StepResult> {
  const setting = settings[state.index]!;
  const now = (await cacheFirmwareComponents(ctx, leased, requestId)).get(setting.component);
  const after = state.phase === 'reboot' ? ' and the reboot that applies it' : '';
  if (!now) {
    throw failed(
      `the BMC no longer lists ${setting.component} after its update from ${setting.url}${after}`,
    );
  }
  if (state.before !== undefined && now.current_version === state.before) {
    throw failed(
      `the BMC still reports ${setting.component} at version ${state.before} after its update from ${setting.url}${after}; the image was not applied`,
    );
  }
  await recordFirmwareComponents(ctx.db, leased.node.uuid, [now], {
    flashed: [setting.component],
  });
  if (setting.wait) {
    const waitUntil = new Date(Date.now() + setting.wait * 1000).toISOString();
    return {
      kind: 'wait',
      state: { index: state.index, phase: 'wait', waitUntil },
      note: `${setting.component} firmware is at ${now.current_version}; waiting ${setting.wait} s as asked before going on`,
    };
  }
  return nextComponent(ctx, leased, settings, state.index, requestId);
}

async function nextComponent(
  ctx: ConductorContext,
  leased: LeasedNode,
  settings: FirmwareUpdateSetting[],
  index: number,
  requestId?: string,
): Promise<StepResult> {
  if (index + 1 >= settings.length) return { kind: 'done' };
  return startUpdate(ctx, leased, settings, index + 1, requestId);
}

/**
 * redfish (Ironic's redfish firmware interface, API 1.86): the components are read from the BMC
 * when the node is managed; the update step flashes one component at a time with SimpleUpdate,
 * waits for the BMC's task, reboots when the new firmware runs only after a boot (BIOS, NIC),
 * checks that the BMC reports a new version, then goes on to the next.
 */
export const redfishFirmware: StepsInterface = {
  name: 'redfish',
  cache: async (ctx, leased, requestId) =>
    void (await cacheFirmwareComponents(ctx, leased, requestId)),
  steps: [
    {
      step: 'update',
      priority: 0,
      argsinfo: {
        settings: {
          description: 'A list of dicts with firmware components to be updated',
          required: true,
        },
      },
      async run(ctx, leased, args, requestId) {
        const settings = settingsOf(args);
        // Nothing is flashed when a component asked for is not one the BMC has.
        const known = await cacheFirmwareComponents(ctx, leased, requestId);
        const unknown = settings.filter((s) => !known.has(s.component)).map((s) => s.component);
        if (unknown.length > 0) {
          throw failed(
            `the BMC has no firmware component ${unknown.join(', ')} (it lists ${[...known.keys()].join(', ') || 'none'})`,
          );
        }
        return startUpdate(ctx, leased, settings, 0, requestId);
      },
      async resume(ctx, leased, args, resumed, requestId) {
        const settings = settingsOf(args);
        const state = resumed.state as unknown as UpdateState;
        if (typeof state.index !== 'number' || !settings[state.index])
          throw failed(`its saved progress ${JSON.stringify(state)} does not match its settings`);
        switch (state.phase) {
          case 'task':
            return pollTask(ctx, leased, settings, state, requestId);
          case 'reboot':
            return componentDone(ctx, leased, settings, state, requestId);
          case 'wait':
            if (state.waitUntil && Date.parse(state.waitUntil) > Date.now())
              return {
                kind: 'wait',
                state: { ...state },
                note: 'waiting as asked before going on',
              };
            return nextComponent(ctx, leased, settings, state.index, requestId);
        }
        throw failed(`its saved progress ${JSON.stringify(state)} is not one it writes`);
      },
    },
  ],
};
