import type { ProvisionState } from '@ingot/contracts';
import { IMPLEMENTED_OPERATIONS, RUNNING_STATE, type ImplementedOperation } from '@ingot/lifecycle';
import type { ConductorContext } from '../context.js';
import type { LeasedNode } from '../node-lease.js';
import { runAdopting } from './adopt.js';
import { thenHeardAgent } from './agent-wait.js';
import { runCleaning } from './clean.js';
import { runDeleting } from './delete.js';
import { runDeploying } from './deploy.js';
import { isOperationError } from './fail.js';
import { runInspecting } from './inspect.js';
import { failOrRetryLater, stepWentThrough } from './retry.js';
import { runRescuing, runUnrescuing } from './rescue.js';
import { runServicing } from './service.js';
import { runVerify } from './verify.js';

export type OperationRunner = (
  ctx: ConductorContext,
  leased: LeasedNode,
  requestId?: string,
) => Promise<void>;

/**
 * Runs a step; a failure a person can act on ends the operation in its failed state with that
 * reason, unless it is one that may be over soon (a BMC, power worker or image cache out of reach),
 * which schedules the step again (see failOrRetryLater).
 */
const guarded =
  (runner: OperationRunner): OperationRunner =>
  async (ctx, leased, requestId) => {
    try {
      await runner(ctx, leased, requestId);
    } catch (error) {
      if (!isOperationError(error)) throw error;
      await failOrRetryLater(ctx, leased, error, requestId);
      return;
    }
    await stepWentThrough(ctx, leased, requestId);
  };

/**
 * The step of each operation the conductor runs (keyed by the lifecycle's IMPLEMENTED_OPERATIONS,
 * which is also what the API accepts verbs by). What differs between drivers is inside the steps,
 * in the node's interfaces (../interfaces).
 */
const RUNNERS: Record<ImplementedOperation, OperationRunner> = {
  verify: runVerify,
  inspect: guarded(runInspecting),
  clean: guarded(thenHeardAgent(runCleaning)),
  deploy: guarded(thenHeardAgent(runDeploying)),
  undeploy: guarded(thenHeardAgent(runDeleting)),
  adopt: guarded(runAdopting),
  service: guarded(thenHeardAgent(runServicing)),
  rescue: guarded(thenHeardAgent(runRescuing)),
  unrescue: guarded(runUnrescuing),
};

/**
 * The step a conductor runs for a node in each in-progress state. A state listed here is resumable:
 * a conductor that finds a node there without a live lease runs the step again.
 */
export const OPERATIONS: Partial<Record<ProvisionState, OperationRunner>> = Object.fromEntries(
  IMPLEMENTED_OPERATIONS.map((operation) => [RUNNING_STATE[operation], RUNNERS[operation]]),
);
