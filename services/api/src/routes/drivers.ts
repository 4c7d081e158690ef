import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { and, asc, count, eq, gt, isNotNull } from 'drizzle-orm';
import {
  DRIVER_INTERFACES,
  HARDWARE_TYPES,
  implementationsOf,
  type DriverInterface,
  type HardwareTypeSpec,
} from '@ingot/contracts';
import { conductors, nodes } from '@ingot/store';
import { requireEndpoint, requireVersion, V } from '../api-version.js';
import { CONDUCTOR_HEARTBEAT_TIMEOUT_MS } from '../bmc-calls.js';
import type { ApiDeps } from '../deps.js';
import { badRequest, notFound } from '../errors.js';
import { BooleanQuery, parseBool } from '../listing.js';
import { links } from '../node-view.js';

/** Interfaces a version does not show in a driver (Ironic's driver.py hide_fields_in_newer_versions). */
const INTERFACE_VERSIONS: Partial<Record<DriverInterface, number>> = {
  storage: 33,
  rescue: V.RESCUE,
  bios: 40,
  firmware: 86,
};

/** The conductors alive now; every Ingot conductor serves every hardware type. */
async function liveHosts(deps: ApiDeps): Promise<string[]> {
  const since = new Date(Date.now() - CONDUCTOR_HEARTBEAT_TIMEOUT_MS);
  const rows = await deps.db
    .select({ id: conductors.id })
    .from(conductors)
    .where(and(eq(conductors.service, 'conductor'), gt(conductors.heartbeatAt, since)))
    .orderBy(asc(conductors.id));
  return rows.map((r) => r.id);
}

/** A hardware type with the conductors serving it; none alive is Ironic's DriverNotFound (404). */
export async function loadDriver(
  deps: ApiDeps,
  name: string,
): Promise<{ spec: HardwareTypeSpec; hosts: string[] }> {
  // Own keys only: 'constructor' or '__proto__' are no hardware types.
  const spec = Object.hasOwn(HARDWARE_TYPES, name)
    ? (HARDWARE_TYPES as Record<string, HardwareTypeSpec>)[name]
    : undefined;
  const hosts = await liveHosts(deps);
  if (!spec || hosts.length === 0)
    throw notFound(`Could not find the following driver(s) or hardware type(s): ${name}.`);
  return { spec, hosts };
}

export const DriverName = Type.Object({
  driver_name: Type.String({ minLength: 1, maxLength: 255 }),
});
const HostnameParam = Type.Object({ hostname: Type.String({ minLength: 1, maxLength: 255 }) });

/**
 * Drivers (hardware types), conductors and shards of Ironic's /v1. A hardware type is listed with
 * the conductors that are alive (every Ingot conductor runs both); a conductor is alive while it
 * heartbeats in the `conductors` table.
 */
export function driverRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    async function conductorRows() {
      return deps.db
        .select()
        .from(conductors)
        .where(eq(conductors.service, 'conductor'))
        .orderBy(asc(conductors.startedAt), asc(conductors.id));
    }
    const isAlive = (heartbeatAt: Date) =>
      Date.now() - heartbeatAt.getTime() <= CONDUCTOR_HEARTBEAT_TIMEOUT_MS;

    function driverView(
      request: FastifyRequest,
      spec: HardwareTypeSpec,
      hosts: string[],
      detail: boolean,
    ): Record<string, unknown> {
      const out: Record<string, unknown> = {
        name: spec.name,
        hosts,
        links: links(request, `drivers/${spec.name}`),
      };
      if (request.apiMinor >= V.LINKS_STATES_PROPERTIES)
        out.properties = links(request, `drivers/${spec.name}/properties`);
      if (request.apiMinor < V.DYNAMIC_DRIVERS) return out;
      out.type = 'dynamic';
      if (!detail) return out;
      for (const iface of DRIVER_INTERFACES) {
        if (request.apiMinor < (INTERFACE_VERSIONS[iface] ?? 0)) continue;
        out[`default_${iface}_interface`] = spec.interfaces[iface];
        out[`enabled_${iface}_interfaces`] = implementationsOf(spec, iface);
      }
      return out;
    }

    app.get(
      '/v1/drivers',
      {
        schema: {
          querystring: Type.Object({
            type: Type.Optional(Type.String()),
            detail: Type.Optional(BooleanQuery),
          }),
        },
      },
      async (request) => {
        const { type, detail } = request.query;
        if (type !== undefined) requireVersion(request, V.DYNAMIC_DRIVERS, "the 'type' filter");
        if (detail !== undefined) requireVersion(request, V.DYNAMIC_DRIVERS, "the 'detail' flag");
        if (type !== undefined && type !== 'classic' && type !== 'dynamic')
          throw badRequest('"type" filter must be one of "classic" or "dynamic", if specified.');
        const hosts = await liveHosts(deps);
        // Ironic lists the drivers some live conductor has; Ingot has no classic drivers.
        const specs = hosts.length === 0 || type === 'classic' ? [] : Object.values(HARDWARE_TYPES);
        return {
          drivers: specs.map((spec) =>
            driverView(request, spec, hosts, parseBool(detail) === true),
          ),
        };
      },
    );

    app.get('/v1/drivers/:driver_name', { schema: { params: DriverName } }, async (request) => {
      const { spec, hosts } = await loadDriver(deps, request.params.driver_name);
      return driverView(request, spec, hosts, true);
    });

    app.get(
      '/v1/drivers/:driver_name/properties',
      { schema: { params: DriverName } },
      async (request) => (await loadDriver(deps, request.params.driver_name)).spec.properties,
    );

    function conductorView(
      request: FastifyRequest,
      row: typeof conductors.$inferSelect,
      detail: boolean,
    ): Record<string, unknown> {
      const out: Record<string, unknown> = {
        hostname: row.id,
        conductor_group: row.conductorGroup,
        alive: isAlive(row.heartbeatAt),
      };
      if (detail) {
        out.drivers = Object.keys(HARDWARE_TYPES);
        out.created_at = row.startedAt.toISOString();
        out.updated_at = row.heartbeatAt.toISOString();
      }
      out.links = links(request, `conductors/${row.id}`);
      return out;
    }

    app.get(
      '/v1/conductors',
      {
        schema: {
          querystring: Type.Object({ detail: Type.Optional(BooleanQuery) }),
        },
      },
      async (request) => {
        requireEndpoint(request, V.CONDUCTORS);
        const detail = parseBool(request.query.detail) === true;
        const rows = await conductorRows();
        return { conductors: rows.map((row) => conductorView(request, row, detail)) };
      },
    );

    app.get('/v1/conductors/:hostname', { schema: { params: HostnameParam } }, async (request) => {
      requireEndpoint(request, V.CONDUCTORS);
      const row = (await conductorRows()).find((r) => r.id === request.params.hostname);
      if (!row) throw notFound(`Conductor ${request.params.hostname} could not be found.`);
      return conductorView(request, row, true);
    });

    app.get('/v1/shards', async (request) => {
      requireEndpoint(request, V.SHARD);
      const rows = await deps.db
        .select({ name: nodes.shard, count: count() })
        .from(nodes)
        .where(isNotNull(nodes.shard))
        .groupBy(nodes.shard)
        .orderBy(asc(nodes.shard));
      return { shards: rows.map((r) => ({ name: r.name, count: r.count })) };
    });
  };
}
