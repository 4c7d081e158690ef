import { randomUUID } from 'node:crypto';
import type { PowerState, ProvisionState } from '@ingot/contracts';
import type { Subjects } from '@ingot/bus';
import { isWaitState } from '@ingot/lifecycle';
import { traceHeaders } from '@ingot/bus';
import {
  LeaseLostError,
  writeNodeRow,
  type Db,
  type NodeColumns,
  type NodeRow,
  type NodeWriteHistory,
  type OutboxMessage,
} from '@ingot/store';
import type { LeasedNode } from './node-lease.js';
import { endWaitSpan, withWaitTrace } from './wait-trace.js';

export interface NodeChange {
  set: NodeColumns;
  history?: Omit<NodeWriteHistory, 'requestId' | 'conductor'>[];
  outbox?: OutboxMessage[];
  /** Marks a bus message as acted on, in the same transaction as its effect. */
  handled?: { consumer: string; messageId: string };
}

/**
 * Writes a change to a leased node together with its history and outgoing messages, in one
 * statement fenced by the lease: if another conductor took the node meanwhile, nothing is written.
 */
export async function writeNode(
  db: Db,
  leased: LeasedNode,
  requestId: string | undefined,
  change: NodeChange,
): Promise<NodeRow> {
  if (leased.signal.aborted) throw new LeaseLostError(leased.node.uuid, leased.owner);
  const before = leased.node;
  const row = await writeNodeRow(db, {
    uuid: leased.node.uuid,
    leaseOwner: leased.owner,
    set: withWaitTrace(before, change.set),
    history: (change.history ?? []).map((h) => ({ ...h, requestId, conductor: leased.owner })),
    outbox: change.outbox,
    handled: change.handled,
  });
  if (!row) throw new LeaseLostError(leased.node.uuid, leased.owner);
  leased.node = row;
  endWaitSpan(before, row);
  return row;
}

/** The columns, history row and event of a provision state transition. */
export function provisionTransition(
  subjects: Subjects,
  node: NodeRow,
  args: {
    to: ProvisionState;
    target: ProvisionState | null;
    event: string;
    lastError?: string | null;
    requestId?: string;
    deadlineAt?: Date | null;
    /** The history row's severity when it is not an error (e.g. WARNING for a retry). */
    severity?: string;
  },
): NodeChange {
  const lastError = args.lastError === undefined ? node.lastError : args.lastError;
  const at = new Date();
  return {
    set: {
      provisionState: args.to,
      targetProvisionState: args.target,
      provisionUpdatedAt: at,
      lastError,
      deadlineAt: args.deadlineAt ?? null,
      // The sweeper's next look belongs to the state that scheduled it: a wait state keeps the
      // agent check its boot armed; any other state starts with nothing scheduled.
      ...(isWaitState(args.to) ? {} : { wakeAt: null }),
    },
    history: [
      {
        eventType: 'provisioning',
        severity:
          lastError && args.lastError !== undefined && args.lastError !== null
            ? 'ERROR'
            : (args.severity ?? 'INFO'),
        event: lastError && args.lastError ? `${args.event}: ${lastError}` : args.event,
        fromState: node.provisionState,
        toState: args.to,
      },
    ],
    outbox: [
      {
        id: randomUUID(),
        subject: subjects.nodeEvent(node.uuid, 'provision'),
        headers: traceHeaders(),
        payload: {
          id: randomUUID(),
          type: 'provision_state_changed',
          node_uuid: node.uuid,
          site: node.conductorGroup,
          request_id: args.requestId,
          at: at.toISOString(),
          from: node.provisionState,
          to: args.to,
          target: args.target,
          event: args.event,
          last_error: lastError,
        },
      },
    ],
  };
}

/** The columns, history row and event of a power state change (or a failed attempt). */
export function powerChange(
  subjects: Subjects,
  node: NodeRow,
  args: { to: PowerState | null; lastError: string | null; event: string; requestId?: string },
): NodeChange {
  const at = new Date();
  return {
    set: {
      powerState: args.to ?? node.powerState,
      targetPowerState: null,
      lastError: args.lastError,
    },
    history: [
      {
        eventType: 'power',
        severity: args.lastError ? 'ERROR' : 'INFO',
        event: args.lastError ? `${args.event}: ${args.lastError}` : args.event,
        fromState: node.powerState,
        toState: args.to ?? node.powerState,
      },
    ],
    outbox: [
      {
        id: randomUUID(),
        subject: subjects.nodeEvent(node.uuid, 'power'),
        headers: traceHeaders(),
        payload: {
          id: randomUUID(),
          type: 'power_state_changed',
          node_uuid: node.uuid,
          site: node.conductorGroup,
          request_id: args.requestId,
          at: at.toISOString(),
          from: node.powerState,
          to: args.to ?? node.powerState,
          last_error: args.lastError,
        },
      },
    ],
  };
}
