// The node as Ironic describes it to the agent (lookup response, and the `node` command param).
export interface NodeInfo {
  uuid: string;
  properties?: Record<string, unknown>;
  instance_info?: Record<string, unknown>;
  driver_internal_info?: Record<string, unknown>;
  [key: string]: unknown;
}

export function asNodeInfo(value: unknown): NodeInfo | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const node = value as Record<string, unknown>;
  return typeof node.uuid === 'string' ? (node as NodeInfo) : undefined;
}
