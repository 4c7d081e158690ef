import { openAgentToken } from '@ingot/store';
import type { ConductorContext } from '../context.js';
import { AgentClient, AgentError, type AgentCommand } from '../agent-client.js';
import type { LeasedNode } from '../node-lease.js';
import { stepRunnerOf } from '../interfaces/steps.js';
import type { StepRequest, StepResult, StepState } from '../interfaces/types.js';
import { updateNode } from '../transition-node.js';
import { StepError } from './fail.js';
import { bootRamdisk } from './ramdisk.js';

/** One step as Ironic describes it: {interface, step, args, priority}. */
export type Step = StepRequest;

/** Progress of a step-driven operation, persisted in driver_internal_info.steps. */
export interface StepProgress {
  operation: 'clean' | 'deploy' | 'service';
  list: Step[];
  index: number;
  /** hardware_manager_version the agent reported, sent back with each step as IPA requires. */
  version?: unknown;
  /** The agent command of the running step. */
  command?: { id: string; step: string };
  /**
   * The conductor step in progress: waiting for the BMC (asked again at each heartbeat) or for the
   * restart it asked for, with the state it keeps between calls.
   */
  conductor?: { step: string; waiting: 'poll' | 'reboot'; state: StepState };
}

export const stepProgressOf = (leased: LeasedNode): StepProgress | undefined =>
  (leased.node.driverInternalInfo as { steps?: StepProgress }).steps;

/** driver_internal_info with `steps` replaced (or removed), for one write with whatever else changes. */
function withProgress(leased: LeasedNode, steps: StepProgress | undefined) {
  const { steps: _old, ...rest } = leased.node.driverInternalInfo as Record<string, unknown>;
  return steps ? { ...rest, steps } : rest;
}

export async function saveProgress(
  ctx: ConductorContext,
  leased: LeasedNode,
  steps: StepProgress | undefined,
) {
  await updateNode(ctx, leased, { driverInternalInfo: withProgress(leased, steps) });
}

/** A client of the node's agent, with the token opened from its sealed copy (see agent-token.ts). */
export function agentOf(ctx: ConductorContext, leased: LeasedNode): AgentClient {
  const { agentUrl } = leased.node;
  const token = openAgentToken(ctx.secrets, leased.node);
  if (!agentUrl || !token)
    throw new AgentError('the agent has not heartbeated with its callback URL yet');
  return new AgentClient(agentUrl, token, leased.node.agentVerifyCa);
}

export type StepOutcome = 'running' | 'complete';

/**
 * Moves a step-driven operation one notch forward on a heartbeat: checks the running step's
 * command, starts the next step, or reports that every step is done. Each call is idempotent.
 */
export async function advanceSteps(
  ctx: ConductorContext,
  leased: LeasedNode,
  progress: StepProgress,
  opts: {
    execute: string;
    params: (step: Step, progress: StepProgress) => Promise<Record<string, unknown>>;
    deadlineInMs: number;
    requestId?: string;
  },
): Promise<StepOutcome> {
  const kind = { clean: 'cleaning', deploy: 'deploy', service: 'service' }[progress.operation];
  const record = async (next: StepProgress, event: string, extra: Record<string, unknown> = {}) => {
    await updateNode(
      ctx,
      leased,
      { driverInternalInfo: withProgress(leased, next), ...extra },
      { eventType: kind, event },
      opts.requestId,
    );
    return next;
  };
  /** Records what a conductor step answered; true when the operation must wait for it. */
  const settle = async (step: Step, result: StepResult): Promise<boolean> => {
    const name = `${progress.operation} step ${step.step}`;
    if (result.kind === 'done') {
      progress = await record(
        { ...progress, index: progress.index + 1, conductor: undefined },
        `${name} finished`,
      );
      return false;
    }
    const conductor = {
      step: step.step,
      waiting: result.kind === 'wait' ? 'poll' : 'reboot',
      state: result.state,
    } as const;
    if (result.kind === 'wait') {
      progress = await record(
        { ...progress, conductor },
        result.note ? `${name}: ${result.note}` : `${name} is running on the BMC`,
      );
      return true;
    }
    progress = await record({ ...progress, conductor }, `${name} needs a restart to take effect`, {
      deadlineAt: new Date(Date.now() + opts.deadlineInMs),
    });
    await bootRamdisk(
      ctx,
      leased,
      progress.operation,
      opts.requestId,
      `${step.interface} step ${step.step} takes effect at boot`,
    );
    return true;
  };
  if (progress.conductor) {
    // A conductor step in progress: the BMC's task asked again, or the restart it needed done.
    const step = progress.list[progress.index];
    const runner = step ? stepRunnerOf(leased.node, step) : undefined;
    if (!step || runner?.kind !== 'conductor') {
      throw new StepError(
        `the ${progress.operation} step in progress (${progress.conductor.step}) is no longer known`,
      );
    }
    const resumed = {
      why: progress.conductor.waiting === 'reboot' ? 'rebooted' : 'poll',
      state: progress.conductor.state,
    } as const;
    const result = runner.step.resume
      ? await runConductorStep(step, () =>
          runner.step.resume!(ctx, leased, step.args ?? {}, resumed, opts.requestId),
        )
      : ({ kind: 'done' } as const);
    if (await settle(step, result)) return 'running';
  }
  // The agent's step in progress: still running, failed, or done (then the next steps).
  if (progress.command) {
    const command = await findCommand(
      agentOf(ctx, leased),
      progress.command.id,
      leased.node.agentUrl ?? '',
    );
    if (command.command_status === 'RUNNING') return 'running';
    if (command.command_status === 'FAILED') {
      throw new StepError(
        `the agent failed ${progress.operation} step ${progress.command.step}: ${describeError(command.command_error)}`,
      );
    }
    // What the interface records of the agent's result (Ironic's post step hooks: raid_config).
    const done = progress.list[progress.index];
    const doneRunner = done ? stepRunnerOf(leased.node, done) : undefined;
    if (doneRunner?.kind === 'agent' && doneRunner.step?.finished) {
      await doneRunner.step.finished(
        ctx,
        leased,
        (command.command_result ?? {}) as Record<string, unknown>,
        opts.requestId,
      );
    }
    // The history line and the progress in one write: a conductor killed after it must not
    // leave the step finished in the history but running in the progress (the next one would
    // record it finished again).
    const finished = progress.command.step;
    progress = { ...progress, index: progress.index + 1, command: undefined };
    await updateNode(
      ctx,
      leased,
      { driverInternalInfo: withProgress(leased, progress) },
      { eventType: kind, event: `${progress.operation} step ${finished} finished` },
    );
  }
  // The conductor's own steps run one after the other here; an agent step is started and waited for.
  for (;;) {
    const step = progress.list[progress.index];
    if (!step) break;
    const runner = stepRunnerOf(leased.node, step);
    if (runner.kind === 'agent') break;
    progress = await record(progress, `${progress.operation} step ${step.step} started`);
    const result = await runConductorStep(step, () =>
      runner.step.run(ctx, leased, step.args ?? {}, opts.requestId),
    );
    if (await settle(step, result)) return 'running';
  }
  const step = progress.list[progress.index];
  if (!step) return 'complete';
  const agent = agentOf(ctx, leased);
  // A conductor that died between starting a step and recording it must not start it twice.
  const already = await runningStep(agent, opts.execute, step.step);
  if (already) {
    await saveProgress(ctx, leased, { ...progress, command: { id: already.id, step: step.step } });
    return 'running';
  }
  const params = await opts.params(step, progress);
  // What an interface's agent step needs of the node (agent raid: the target RAID configuration).
  const runner = stepRunnerOf(leased.node, step);
  const nodeFields =
    runner.kind === 'agent' ? runner.step?.nodeFields?.(leased, step.args ?? {}) : undefined;
  if (nodeFields) params.node = { ...(params.node as Record<string, unknown>), ...nodeFields };
  const started = await agent.run(opts.execute, params);
  if (
    typeof started?.id !== 'string' ||
    !['RUNNING', 'SUCCEEDED', 'FAILED'].includes(started.command_status)
  ) {
    throw new StepError(`the agent answered ${opts.execute} with an unexpected body`);
  }
  if (started.command_status === 'FAILED') {
    throw new StepError(
      `the agent refused ${progress.operation} step ${step.step}: ${describeError(started.command_error)}`,
    );
  }
  await updateNode(
    ctx,
    leased,
    {
      driverInternalInfo: withProgress(leased, {
        ...progress,
        command: { id: started.id, step: step.step },
      }),
      deadlineAt: new Date(Date.now() + opts.deadlineInMs),
    },
    { eventType: kind, event: `${progress.operation} step ${step.step} started` },
    opts.requestId,
  );
  return 'running';
}

/** The agent's command for this step from an earlier attempt, if it is running or done. */
async function runningStep(
  agent: AgentClient,
  execute: string,
  step: string,
): Promise<AgentCommand | undefined> {
  const name = execute.split('.').pop();
  const commands = await agent.commands();
  return commands
    .filter((c) => c.command_name === name || c.command_name === execute)
    .filter(
      (c) =>
        (c as { command_params?: { step?: { step?: string } } }).command_params?.step?.step ===
        step,
    )
    .find((c) => c.command_status !== 'FAILED');
}

async function findCommand(
  agent: AgentClient,
  id: string,
  agentUrl: string,
): Promise<AgentCommand> {
  const commands = await agent.commands();
  const command = commands.find((c) => c.id === id);
  if (!command)
    throw new StepError(`the agent at ${agentUrl} no longer knows command ${id} (did it reboot?)`);
  return command;
}

/** An agent command's error, as last_error words it. */
export function describeError(error: unknown): string {
  if (!error) return 'no reason given';
  if (typeof error === 'string') return error;
  const e = error as { message?: string; details?: string };
  return e.details ?? e.message ?? JSON.stringify(error).slice(0, 500);
}

/** Runs a call of a conductor step, its BMC failures worded as the step's (they fail the operation). */
async function runConductorStep(step: Step, call: () => Promise<StepResult>): Promise<StepResult> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof StepError) throw error;
    if (error instanceof Error && error.name === 'BmcCallError') {
      throw new StepError(`${step.interface} step ${step.step} failed: ${error.message}`);
    }
    throw error;
  }
}
