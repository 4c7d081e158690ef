import { randomUUID } from 'node:crypto';
import type { MaintenanceChanged } from '@ingot/contracts';
import type { Subjects } from './subjects.js';
import { traceHeaders } from './trace-headers.js';

/** An outbox message: the event goes out with the write that made it true. */
export interface NodeEventMessage<E> {
  id: string;
  subject: string;
  headers: Record<string, string>;
  payload: E;
}

/**
 * The event of a node put in or out of maintenance, whoever did it (a person through the API,
 * power sync on a power failure), for the outbox of the write that does it.
 */
export function maintenanceChanged(
  subjects: Subjects,
  node: { uuid: string; conductorGroup: string },
  change: { maintenance: boolean; reason: string | null; fault: string | null; requestId?: string },
): NodeEventMessage<MaintenanceChanged> {
  const id = randomUUID();
  return {
    id,
    subject: subjects.nodeEvent(node.uuid, 'management'),
    headers: traceHeaders(),
    payload: {
      id,
      type: 'maintenance_changed',
      node_uuid: node.uuid,
      site: node.conductorGroup,
      ...(change.requestId ? { request_id: change.requestId } : {}),
      at: new Date().toISOString(),
      maintenance: change.maintenance,
      reason: change.reason,
      fault: change.fault,
    },
  };
}
