import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { asc, eq } from 'drizzle-orm';
import { portgroups, ports, type DbOrTx } from '@ingot/store';
import { requireEndpoint, V } from '../api-version.js';
import type { ApiDeps } from '../deps.js';
import { badRequest } from '../errors.js';
import type { PortgroupRow, PortRow } from '../port-view.js';
import {
  attachedVifs,
  choosePortFor,
  holderOf,
  TENANT_VIF_KEY,
  type PortLike,
} from '../vif-ports.js';
import { loadNode, NodeIdent } from './nodes.js';

/** A VIF id: a UUID or a name of RFC 3986 unreserved characters (Ironic's uuid_or_name). */
const VifId = Type.String({
  minLength: 1,
  maxLength: 255,
  pattern: '^[A-Za-z0-9._~-]+$',
  description: 'UUID or name of the VIF (for example a Neutron port)',
});
const VifAttachBody = Type.Object(
  {
    id: VifId,
    port_uuid: Type.Optional(Type.String({ description: 'attach to this port (API 1.67)' })),
    portgroup_uuid: Type.Optional(
      Type.String({ description: 'attach to this port group (API 1.67)' }),
    ),
  },
  // Ironic keeps the rest of vif_info for the network interface; Ingot's reads none of it.
  { additionalProperties: true },
);
const VifParams = Type.Object({
  node_ident: Type.String({ minLength: 1, maxLength: 255 }),
  vif_id: VifId,
});
const VifList = Type.Object({ vifs: Type.Array(Type.Object({ id: Type.String() })) });

/**
 * A node's ports and port groups in creation order. `lock` holds them until the transaction ends:
 * two attachments at once must not pick the same free port.
 */
async function portsOf(
  db: DbOrTx,
  nodeUuid: string,
  lock = false,
): Promise<{ nodePorts: PortRow[]; groups: PortgroupRow[] }> {
  const portQuery = db
    .select()
    .from(ports)
    .where(eq(ports.nodeUuid, nodeUuid))
    .orderBy(asc(ports.createdAt), asc(ports.uuid));
  const groupQuery = db
    .select()
    .from(portgroups)
    .where(eq(portgroups.nodeUuid, nodeUuid))
    .orderBy(asc(portgroups.createdAt), asc(portgroups.uuid));
  // Ports first, then groups, always: one lock order for every writer.
  const nodePorts = await (lock ? portQuery.for('update') : portQuery);
  const groups = await (lock ? groupQuery.for('update') : groupQuery);
  return { nodePorts, groups };
}

/** Writes a port's or group's internal_info (and extra) back. */
async function save(
  tx: DbOrTx,
  obj: PortLike,
  internalInfo: Record<string, unknown>,
  extra: Record<string, unknown>,
): Promise<void> {
  const values = { internalInfo, extra, updatedAt: new Date() };
  if (obj.kind === 'port') await tx.update(ports).set(values).where(eq(ports.uuid, obj.row.uuid));
  else await tx.update(portgroups).set(values).where(eq(portgroups.uuid, obj.row.uuid));
}

/**
 * /v1/nodes/{node}/vifs (API 1.28): VIF attachments as Ironic's non-Neutron network interfaces
 * record them (VIFPortIDMixin): the VIF id goes to a free port group's or port's
 * internal_info.tenant_vif_port_id. Nothing outside Ingot is told: there is no Neutron.
 */
export function nodeVifRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/v1/nodes/:node_ident/vifs',
      { schema: { params: NodeIdent, response: { 200: VifList } } },
      async (request) => {
        requireEndpoint(request, V.VIFS);
        const node = await loadNode(deps, request, request.params.node_ident);
        const { nodePorts, groups } = await portsOf(deps.db, node.uuid);
        return { vifs: attachedVifs(nodePorts, groups) };
      },
    );

    app.post(
      '/v1/nodes/:node_ident/vifs',
      { schema: { params: NodeIdent, body: VifAttachBody } },
      async (request, reply) => {
        requireEndpoint(request, V.VIFS);
        const node = await loadNode(deps, request, request.params.node_ident);
        const vif = request.body;
        if (
          request.apiMinor >= V.VIF_ATTACH_PORT &&
          vif.port_uuid !== undefined &&
          vif.portgroup_uuid !== undefined
        )
          throw badRequest('Cannot specify both port_uuid and portgroup_uuid');
        await deps.db.transaction(async (tx) => {
          const { nodePorts, groups } = await portsOf(tx, node.uuid, true);
          const target = choosePortFor(vif, nodePorts, groups);
          await save(
            tx,
            target,
            { ...target.row.internalInfo, [TENANT_VIF_KEY]: vif.id },
            target.row.extra,
          );
        });
        return reply.status(204).send();
      },
    );

    app.delete(
      '/v1/nodes/:node_ident/vifs/:vif_id',
      { schema: { params: VifParams } },
      async (request, reply) => {
        requireEndpoint(request, V.VIFS);
        const node = await loadNode(deps, request, request.params.node_ident);
        const vifId = request.params.vif_id;
        await deps.db.transaction(async (tx) => {
          const { nodePorts, groups } = await portsOf(tx, node.uuid, true);
          const holder = holderOf(vifId, nodePorts, groups);
          if (!holder) {
            throw badRequest(
              `Unable to detach VIF ${vifId} from node ${node.uuid} because it is not attached to it.`,
            );
          }
          const { [TENANT_VIF_KEY]: _vif, ...internalInfo } = holder.row.internalInfo;
          // Ironic also drops the pre-1.28 record of a VIF, extra.vif_port_id.
          const { vif_port_id: _legacy, ...extra } = holder.row.extra;
          await save(tx, holder, internalInfo, extra);
        });
        return reply.status(204).send();
      },
    );
  };
}
