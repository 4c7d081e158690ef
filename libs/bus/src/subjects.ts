/**
 * Subject and stream names. Everything hangs under one prefix (default `ingot`), so that several
 * installations, or several tests, share one NATS server without seeing each other.
 */
export interface Subjects {
  prefix: string;
  commandStream: string;
  eventStream: string;
  /** Work queue of a site's conductors. */
  conductor(site: string): string;
  /** Work queue of a site's BMC (power) workers. */
  power(site: string): string;
  /** Work queue of a site's image caches. */
  imagecache(site: string): string;
  /** Work queue of a site's inspectors. */
  inspector(site: string): string;
  /** `<prefix>.evt.node.<uuid>.<kind>`; `nodeEvents()` is the wildcard of all nodes. */
  nodeEvent(nodeUuid: string, kind: string): string;
  nodeEvents(): string;
  /** Core-NATS subject on which one service instance receives replies. */
  replies(owner: string): string;
  /** Memory stream keeping the last heartbeat of each service instance (the doctor reads it). */
  heartbeatStream: string;
  /** `<prefix>.heartbeat.<site>.<service>.<instance>`; `heartbeats()` is the wildcard of all. */
  heartbeat(site: string, service: string, instance: string): string;
  heartbeats(): string;
}

/** A site is Ironic's conductor_group; the empty group is the site `default`. */
export const siteToken = (conductorGroup: string): string => conductorGroup || 'default';

export function subjectsFor(prefix = 'ingot'): Subjects {
  if (!/^[A-Za-z0-9_-]+$/.test(prefix)) {
    throw new Error(`Bus prefix "${prefix}" may only contain letters, digits, '_' and '-'`);
  }
  const streamBase = prefix.toUpperCase().replace(/-/g, '_');
  return {
    prefix,
    commandStream: `${streamBase}_CMD`,
    eventStream: `${streamBase}_EVT`,
    conductor: (site) => `${prefix}.cmd.${siteToken(site)}.conductor`,
    power: (site) => `${prefix}.cmd.${siteToken(site)}.power`,
    imagecache: (site) => `${prefix}.cmd.${siteToken(site)}.imagecache`,
    inspector: (site) => `${prefix}.cmd.${siteToken(site)}.inspector`,
    nodeEvent: (nodeUuid, kind) => `${prefix}.evt.node.${nodeUuid}.${kind}`,
    nodeEvents: () => `${prefix}.evt.node.>`,
    replies: (owner) => `${prefix}.reply.${owner.replace(/[^A-Za-z0-9_-]/g, '_')}`,
    heartbeatStream: `${streamBase}_HEARTBEAT`,
    heartbeat: (site, service, instance) =>
      `${prefix}.heartbeat.${siteToken(site)}.${service}.${instance.replace(/[^A-Za-z0-9_-]/g, '_')}`,
    heartbeats: () => `${prefix}.heartbeat.>`,
  };
}
