import { badRequest, conflict } from './errors.js';
import type { PortgroupRow, PortRow } from './port-view.js';

/**
 * Where a port or port group records the VIF attached to it: internal_info.tenant_vif_port_id, as
 * Ironic's VIFPortIDMixin (ironic/drivers/modules/network/common.py).
 */
export const TENANT_VIF_KEY = 'tenant_vif_port_id';

/** What POST /v1/nodes/{node}/vifs asks for: the VIF, and from 1.67 the port or group to use. */
export interface VifRequest {
  id: string;
  port_uuid?: string;
  portgroup_uuid?: string;
}

/** A port or a port group: Ironic's "port-like object". */
export type PortLike = { kind: 'port'; row: PortRow } | { kind: 'portgroup'; row: PortgroupRow };

const asPort = (row: PortRow): PortLike => ({ kind: 'port', row });
const asGroup = (row: PortgroupRow): PortLike => ({ kind: 'portgroup', row });
const title = (obj: PortLike) => (obj.kind === 'port' ? 'Port' : 'Portgroup');

/** The VIF recorded on a port or port group, if any. */
export function attachedVif(row: PortRow | PortgroupRow): string | undefined {
  const vif = row.internalInfo[TENANT_VIF_KEY];
  return typeof vif === 'string' && vif !== '' ? vif : undefined;
}

/**
 * Ironic's _vif_attached: 409 if `vif` is on this object already; otherwise whether another VIF
 * is.
 */
function holdsOtherVif(obj: PortLike, vif: string): boolean {
  const attached = attachedVif(obj.row);
  if (attached === vif) {
    throw conflict(
      `Unable to attach VIF because VIF ${vif} is already attached to ${title(obj)} ${obj.row.uuid}`,
    );
  }
  return attached !== undefined;
}

/**
 * Ironic's neutron.validate_port_info for a network interface other than `neutron`: an InfiniBand
 * port (extra.client-id) always qualifies; otherwise a smart NIC port needs port_id and hostname in
 * its local_link_connection, and only a smart NIC port may have both.
 */
function portQualifies(port: PortRow): boolean {
  if (port.extra['client-id']) return true;
  const link = port.localLinkConnection;
  const smartNicLink = typeof link.port_id === 'string' && typeof link.hostname === 'string';
  return port.isSmartnic === smartNicLink;
}

/**
 * Ironic's get_free_port_like_object with no physical networks to match (there is no Neutron to
 * ask): the free port group or port a VIF goes to. Port groups are preferred to ports and PXE-enabled
 * ports to others; among equals, the first created. `ports` and `groups` are the node's, in creation
 * order.
 */
export function choosePortFor(vif: VifRequest, ports: PortRow[], groups: PortgroupRow[]): PortLike {
  const portUuid = vif.port_uuid?.toLowerCase();
  const groupUuid = portUuid === undefined ? vif.portgroup_uuid?.toLowerCase() : undefined;
  const free: PortLike[] = [];
  const freeMembers = new Map<string, PortRow[]>();
  // Groups with a member that holds a VIF: their free members are offered one by one instead.
  const groupsInUse = new Set<string | null>();
  for (const port of ports) {
    if ((portUuid !== undefined && port.uuid !== portUuid) || !portQualifies(port)) continue;
    if (holdsOtherVif(asPort(port), vif.id)) {
      groupsInUse.add(port.portgroupUuid);
      continue;
    }
    if (port.portgroupUuid === null) {
      if (groupUuid === undefined) free.push(asPort(port));
    } else {
      freeMembers.set(port.portgroupUuid, [...(freeMembers.get(port.portgroupUuid) ?? []), port]);
    }
  }
  if (portUuid === undefined) {
    for (const group of groups) {
      if (groupUuid !== undefined && group.uuid !== groupUuid) continue;
      if (holdsOtherVif(asGroup(group), vif.id)) continue;
      const members = freeMembers.get(group.uuid) ?? [];
      if (groupsInUse.has(group.uuid)) {
        if (groupUuid === undefined) free.push(...members.map(asPort));
      } else if (members.length > 0) {
        free.push(asGroup(group));
      }
    }
  }
  if (free.length === 0)
    throw badRequest(`Unable to attach VIF ${vif.id}, not enough free physical ports.`);
  for (const obj of free) if (obj.kind === 'portgroup') checkGroupPhysnets(obj.row, ports);
  const rank = (obj: PortLike) => (obj.kind === 'portgroup' ? 2 : obj.row.pxeEnabled ? 1 : 0);
  // Array.prototype.sort is stable: equals keep their creation order.
  return [...free].sort((a, b) => rank(b) - rank(a))[0]!;
}

/** Ironic's PortgroupPhysnetInconsistent: a group's members must share one physical network. */
function checkGroupPhysnets(group: PortgroupRow, ports: PortRow[]): void {
  const physnets = new Set(
    ports.filter((p) => p.portgroupUuid === group.uuid).map((p) => p.physicalNetwork),
  );
  if (physnets.size > 1) {
    throw badRequest(
      `Port group ${group.uuid} has member ports with inconsistent physical networks (${[...physnets].map((n) => n ?? '(none)').join(', ')}). All ports in a port group must have the same physical network.`,
    );
  }
}

/** The VIFs attached to a node's ports and port groups, ports first (Ironic's vif_list). */
export function attachedVifs(ports: PortRow[], groups: PortgroupRow[]): { id: string }[] {
  return [...ports, ...groups].flatMap((row) => {
    const id = attachedVif(row);
    return id === undefined ? [] : [{ id }];
  });
}

/** The port group or port holding `vif`, groups first (Ironic's _get_port_like_obj_by_vif_id). */
export function holderOf(
  vif: string,
  ports: PortRow[],
  groups: PortgroupRow[],
): PortLike | undefined {
  const group = groups.find((g) => attachedVif(g) === vif);
  if (group) return asGroup(group);
  const port = ports.find((p) => attachedVif(p) === vif);
  return port ? asPort(port) : undefined;
}
