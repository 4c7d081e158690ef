import { type LabServer, type Installation, waitFor } from '@ingot/lab';

/**
 * What the services logged about one request (the API's x-openstack-request-id), so that a 5xx
 * seen by a test says why.
 */
function loggedFor(system: Installation, headers: Headers): string {
  const id = headers.get('x-openstack-request-id');
  if (!id) return '';
  const lines = system
    .logs()
    .split('\n')
    .filter((line) => line.includes(id) && /"level":"(warn|error|fatal)"/.test(line))
    .slice(-5);
  return lines.length ? `\n  logged for request ${id}:\n    ${lines.join('\n    ')}` : '';
}

export async function enroll(
  system: Installation,
  server: LabServer,
  extra: Record<string, unknown> = {},
): Promise<string> {
  // No service may ever write the BMC's password (checked when the installation stops).
  for (const key of ['redfish_password', 'ipmi_password'])
    system.registerSecret(server.driverInfo[key] as string | undefined);
  const res = await system.api('POST', '/v1/nodes', {
    name: server.name,
    driver: 'redfish',
    driver_info: server.driverInfo,
    ...extra,
  });
  if (res.status !== 201)
    throw new Error(
      `enroll ${server.name}: ${res.status} ${res.text}${loggedFor(system, res.headers)}`,
    );
  return res.body.uuid as string;
}

export async function getNode(system: Installation, ident: string) {
  const res = await system.api('GET', `/v1/nodes/${ident}`);
  if (res.status !== 200) throw new Error(`GET node ${ident}: ${res.status} ${res.text}`);
  return res.body as Record<string, any>;
}

export async function setProvision(
  system: Installation,
  ident: string,
  target: string,
): Promise<void> {
  const res = await system.api('PUT', `/v1/nodes/${ident}/states/provision`, { target });
  if (res.status !== 202)
    throw new Error(
      `provision ${target} on ${ident}: ${res.status} ${res.text}${loggedFor(system, res.headers)}`,
    );
}

export async function setPower(system: Installation, ident: string, target: string): Promise<void> {
  const res = await system.api('PUT', `/v1/nodes/${ident}/states/power`, { target });
  if (res.status !== 202)
    throw new Error(
      `power ${target} on ${ident}: ${res.status} ${res.text}${loggedFor(system, res.headers)}`,
    );
}

/**
 * What a node looked like when a wait gave up: its states, reservation, last error and the tail of
 * its history, so a timed-out test says where the node stopped instead of only that it did.
 */
async function describeNode(system: Installation, ident: string): Promise<string> {
  try {
    const n = await getNode(system, ident);
    const res = await system.api('GET', `/v1/nodes/${ident}/history`);
    const events = ((res.body?.history ?? []) as Array<{ created_at: string; event: string }>)
      .slice(-8)
      .map((h) => `    ${h.created_at} ${h.event}`)
      .join('\n');
    const warnings = system
      .logs()
      .split('\n')
      .filter((line) => line.includes(n.uuid) && /"level":"(warn|error|fatal)"/.test(line))
      .slice(-6)
      .map((line) => `    ${line.slice(0, 600)}`)
      .join('\n');
    return (
      `\n  node: provision_state='${n.provision_state}' target='${n.target_provision_state}' ` +
      `power='${n.power_state}' reservation=${n.reservation} last_error=${JSON.stringify(n.last_error)}` +
      `\n  last history events:\n${events}` +
      (warnings ? `\n  its last warnings in the service logs:\n${warnings}` : '')
    );
  } catch (error) {
    return `\n  (could not read the node: ${String(error)})`;
  }
}

/** Polls the node until `accept` takes it; on timeout the error describes where the node stopped. */
async function waitForNode(
  system: Installation,
  ident: string,
  what: string,
  accept: (node: Record<string, any>) => boolean,
  timeoutMs: number,
) {
  try {
    return await waitFor(
      what,
      async () => {
        const node = await getNode(system, ident);
        return accept(node) ? node : undefined;
      },
      timeoutMs,
      100,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}${await describeNode(system, ident)}`);
  }
}

/** Waits until the node rests in `state` with no operation pending, and returns it. */
export function waitForState(
  system: Installation,
  ident: string,
  state: string,
  timeoutMs = 30_000,
) {
  return waitForNode(
    system,
    ident,
    `node ${ident} to reach '${state}'`,
    (node) => node.provision_state === state && node.target_provision_state === null,
    timeoutMs,
  );
}

export function waitForPower(
  system: Installation,
  ident: string,
  power: string,
  timeoutMs = 30_000,
) {
  return waitForNode(
    system,
    ident,
    `node ${ident} power to be '${power}'`,
    (node) => node.power_state === power && node.target_power_state === null,
    timeoutMs,
  );
}

/**
 * Waits until the node rests in a failed state (`deploy failed`, `clean failed`, ...) with no
 * conductor working on it, and returns it. A failed state keeps the target of the operation that
 * failed, as in Ironic, so `waitForState` (which wants no target) does not fit.
 */
export function waitForFailedState(
  system: Installation,
  ident: string,
  state: string,
  timeoutMs = 30_000,
) {
  return waitForNode(
    system,
    ident,
    `node ${ident} to fail to '${state}'`,
    (node) => node.provision_state === state && node.reservation === null,
    timeoutMs,
  );
}

/** The node once no conductor holds it and `accept` takes it (a BMC setting carried out). */
export function settledNode(
  system: Installation,
  ident: string,
  what: string,
  accept: (node: Record<string, any>) => boolean,
) {
  return waitFor(
    `node ${ident}: ${what}`,
    async () => {
      const node = await getNode(system, ident);
      return node.reservation === null && accept(node) ? node : undefined;
    },
    30_000,
    100,
  );
}

/** The events of the node's history, oldest first, one per line. */
export async function historyEventsOf(system: Installation, ident: string): Promise<string> {
  const history = (await system.api('GET', `/v1/nodes/${ident}/history`)).body.history as {
    event: string;
  }[];
  return history.map((h) => h.event).join('\n');
}
