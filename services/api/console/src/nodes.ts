import { api } from './api.js';

/** What the fleet views need of a node: a few fields, so that 10,000 nodes load quickly. */
export interface NodeRow {
  uuid: string;
  name: string | null;
  provision_state: string;
  target_provision_state: string | null;
  power_state: string | null;
  target_power_state: string | null;
  maintenance: boolean;
  conductor_group: string;
  last_error: string | null;
  provision_updated_at: string | null;
}

const ROW_FIELDS = [
  'uuid',
  'name',
  'provision_state',
  'target_provision_state',
  'power_state',
  'target_power_state',
  'maintenance',
  'conductor_group',
  'last_error',
  'provision_updated_at',
].join(',');

/** Ironic's page size limit: larger pages are cut to it. */
const PAGE = 1000;

/** Every node the caller may see, a page at a time (marker paging, as Ironic's clients do). */
export async function listAllNodes(): Promise<NodeRow[]> {
  const rows: NodeRow[] = [];
  let marker: string | undefined;
  for (;;) {
    const query = `fields=${ROW_FIELDS}&limit=${PAGE}${marker ? `&marker=${marker}` : ''}`;
    const page = await api<{ nodes: NodeRow[] }>('GET', `/v1/nodes?${query}`);
    rows.push(...page.nodes);
    if (page.nodes.length < PAGE) return rows;
    marker = page.nodes[page.nodes.length - 1]!.uuid;
  }
}

export function fetchNodeRow(uuid: string): Promise<NodeRow> {
  return api<NodeRow>('GET', `/v1/nodes/${encodeURIComponent(uuid)}?fields=${ROW_FIELDS}`);
}

/** The whole node, for its page. */
export type NodeDetail = NodeRow & Record<string, unknown>;

export function fetchNode(uuid: string): Promise<NodeDetail> {
  return api<NodeDetail>('GET', `/v1/nodes/${encodeURIComponent(uuid)}`);
}

export interface HistoryEntry {
  uuid: string;
  created_at: string;
  severity: string;
  event_type: string;
  event: string;
  conductor: string | null;
  user: string | null;
  from_state: string | null;
  to_state: string | null;
}

export async function fetchHistory(uuid: string): Promise<HistoryEntry[]> {
  const body = await api<{ history: HistoryEntry[] }>(
    'GET',
    `/v1/nodes/${encodeURIComponent(uuid)}/history`,
  );
  return body.history;
}

export interface AgentLogLine {
  id: number;
  at: string;
  level: 'debug' | 'info' | 'warning' | 'error';
  message: string;
  boot: string;
}

/** The agent's log lines after `sinceId` (an Ingot extension: GET /v1/nodes/{node}/agent_logs). */
export async function fetchAgentLogs(uuid: string, sinceId = 0): Promise<AgentLogLine[]> {
  const body = await api<{ agent_logs: AgentLogLine[] }>(
    'GET',
    `/v1/nodes/${encodeURIComponent(uuid)}/agent_logs?since_id=${sinceId}&limit=1000`,
  );
  return body.agent_logs;
}
