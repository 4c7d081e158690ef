import { type LabServer, type Installation, waitFor } from '@ingot/lab';

export async function enroll(
  system: Installation,
  server: LabServer,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const res = await system.api('POST', '/v1/nodes', {
    name: server.name,
    driver: 'redfish',
    driver_info: server.driverInfo,
    ...extra,
  });
  if (res.status !== 201) throw new Error(`enroll ${server.name}: ${res.status} ${res.text}`);
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
    throw new Error(`provision ${target} on ${ident}: ${res.status} ${res.text}`);
}

export async function setPower(system: Installation, ident: string, target: string): Promise<void> {
  const res = await system.api('PUT', `/v1/nodes/${ident}/states/power`, { target });
  if (res.status !== 202) throw new Error(`power ${target} on ${ident}: ${res.status} ${res.text}`);
}

/** Waits until the node rests in `state` with no operation pending, and returns it. */
export function waitForState(
  system: Installation,
  ident: string,
  state: string,
  timeoutMs = 30_000,
) {
  return waitFor(
    `node ${ident} to reach '${state}'`,
    async () => {
      const node = await getNode(system, ident);
      return node.provision_state === state && node.target_provision_state === null
        ? node
        : undefined;
    },
    timeoutMs,
    100,
  );
}

export function waitForPower(
  system: Installation,
  ident: string,
  power: string,
  timeoutMs = 30_000,
) {
  return waitFor(
    `node ${ident} power to be '${power}'`,
    async () => {
      const node = await getNode(system, ident);
      return node.power_state === power && node.target_power_state === null ? node : undefined;
    },
    timeoutMs,
    100,
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
  return waitFor(
    `node ${ident} to fail to '${state}'`,
    async () => {
      const node = await getNode(system, ident);
      return node.provision_state === state && node.reservation === null ? node : undefined;
    },
    timeoutMs,
    100,
  );
}
