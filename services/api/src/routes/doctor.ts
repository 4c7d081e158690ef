import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DoctorReportSchema } from '@ingot/contracts';
import type { ApiDeps } from '../deps.js';
import { runDoctor } from '../doctor/run-doctor.js';

/**
 * GET /v1/doctor, an Ingot extension: is every service of every site alive, are PostgreSQL and
 * NATS in order, do the URLs handed to nodes answer. Each finding not ok says the fix. Readers
 * and admins of system scope may ask (ingot:default:read).
 */
export function doctorRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/v1/doctor',
      {
        schema: {
          description:
            'Ingot extension (not in Ironic): self-diagnosis of the installation. `status` is the worst of the checks; each check not ok carries a one-sentence `fix`. Also `ingot doctor`.',
          response: { 200: DoctorReportSchema },
        },
      },
      async () => runDoctor(deps),
    );
  };
}
