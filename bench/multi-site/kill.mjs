// The kill variant: in a chosen phase, once a third of the victim's site has reached the phase's
// target, kill -9 one replica of that site; after the phase, start a replacement under a new name
// so the next phases run on two replicas again. What it records: when the kill happened, which
// nodes the victim held leases on (a conductor's, from the database), which nodes of its site were
// still on their way, and when the last of those arrived.

export class KillPlan {
  /**
   * @param {import('@ingot/lab').Installation} system
   * @param {import('pg').Client} db
   * @param {Record<string, { victim: string, site: string, kind: string, replacement: string,
   *   env: Record<string, string> }>} plan phase → what to kill in it
   */
  constructor(system, db, plan) {
    this.system = system;
    this.db = db;
    this.plan = plan;
    /** phase → what happened */
    this.done = {};
  }

  /** The onProgress hook of a phase (undefined for phases without a kill). */
  progressHook(phase, nodes) {
    const kill = this.plan[phase];
    if (!kill) return undefined;
    return async ({ elapsedMs, doneBySite, totalBySite, done }) => {
      if (this.done[phase]) return;
      const total = totalBySite[kill.site] ?? 0;
      const reached = doneBySite[kill.site] ?? 0;
      if (reached * 3 < total || reached === total) return;
      const held =
        kill.kind === 'conductor'
          ? (
              await this.db.query(
                'SELECT uuid FROM nodes WHERE lease_owner = $1 AND lease_expires_at > now()',
                [kill.victim],
              )
            ).rows.map((r) => r.uuid)
          : [];
      await this.system.kill(kill.victim, 'SIGKILL');
      const pending = nodes
        .filter((n) => n.site === kill.site && !done.has(n.uuid))
        .map((n) => n.uuid);
      this.done[phase] = {
        ...kill,
        killedAtMs: Math.round(elapsedMs),
        reached,
        total,
        held,
        pending,
      };
    };
  }

  /** After the phase: when the victim's nodes arrived, and a replacement started. */
  async afterPhase(phase, result) {
    const kill = this.done[phase];
    if (!kill)
      return this.plan[phase] ? { victim: this.plan[phase].victim, killed: false } : undefined;
    const lastOf = (uuids) => {
      const times = uuids.map((u) => result.reached_at_ms.get(u));
      if (times.some((t) => t === undefined)) return null; // some never arrived
      return times.length ? Math.max(...times) : kill.killedAtMs;
    };
    const heldLast = lastOf(kill.held);
    const pendingLast = lastOf(kill.pending);
    await this.system.startService(kill.kind, kill.env, kill.replacement);
    return {
      victim: kill.victim,
      killed: true,
      killed_at_s: kill.killedAtMs / 1000,
      site_reached_at_kill: `${kill.reached}/${kill.total}`,
      leases_held_at_kill: kill.held.length,
      held_all_done_s_after_kill:
        kill.kind !== 'conductor' || heldLast === null ? null : (heldLast - kill.killedAtMs) / 1000,
      pending_at_kill: kill.pending.length,
      pending_all_done_s_after_kill:
        pendingLast === null ? null : (pendingLast - kill.killedAtMs) / 1000,
      replacement: kill.replacement,
    };
  }
}
