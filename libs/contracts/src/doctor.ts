import { Type, type Static } from '@sinclair/typebox';

const DoctorStatusSchema = Type.Union([
  Type.Literal('ok'),
  Type.Literal('warning'),
  Type.Literal('error'),
]);
export type DoctorStatus = Static<typeof DoctorStatusSchema>;

/** One finding of GET /v1/doctor: what was checked, what was seen, and (when not ok) the fix. */
export const DoctorCheckSchema = Type.Object({
  /** Stable id for scripts, e.g. `service.imagecache.default`, `nats.streams`. */
  name: Type.String(),
  title: Type.String(),
  status: DoctorStatusSchema,
  detail: Type.String(),
  /** One sentence saying what to do; present when status is not ok. */
  fix: Type.Optional(Type.String()),
});
export type DoctorCheck = Static<typeof DoctorCheckSchema>;

/** Body of GET /v1/doctor (an Ingot extension): the worst status of the checks, and the checks. */
export const DoctorReportSchema = Type.Object({
  status: DoctorStatusSchema,
  checked_at: Type.String(),
  checks: Type.Array(DoctorCheckSchema),
});
export type DoctorReport = Static<typeof DoctorReportSchema>;

/**
 * What every service process publishes every few seconds on `<prefix>.heartbeat.<site>.<service>.<instance>`
 * (kept by a memory stream, last per subject): that it lives, whether it waits for a dependency,
 * and the settings it hands to nodes, which the doctor checks from where nodes stand.
 */
export const ServiceHeartbeatSchema = Type.Object({
  service: Type.String(),
  /** The site (conductor_group) it serves; '' for the default site and site-less services. */
  site: Type.String(),
  instance: Type.String(),
  state: Type.Union([
    Type.Literal('starting'),
    Type.Literal('waiting'),
    Type.Literal('ready'),
    Type.Literal('stopped'),
  ]),
  /** With state `waiting`: the dependency it waits for and why, e.g. "PostgreSQL at …: ECONNREFUSED". */
  waiting_for: Type.Optional(Type.String()),
  started_at: Type.String(),
  /** The sender's clock when it sent this; compared with the NATS server's receipt time. */
  sent_at: Type.String(),
  interval_ms: Type.Integer({ minimum: 1 }),
  /** Settings nodes are handed (agent API URL, image cache URLs, iPXE files) and the cache's disk use. */
  settings: Type.Record(Type.String(), Type.Unknown()),
});
export type ServiceHeartbeat = Static<typeof ServiceHeartbeatSchema>;
