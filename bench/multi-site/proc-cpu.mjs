// CPU seconds from /proc, sampled every second so that a process killed mid-phase keeps what it
// used until its last sample: each named service process, this installation's PostgreSQL backends
// (found in pg_stat_activity, so another tenant's queries on the shared cluster do not count),
// and the whole machine (to tell what everything else used meanwhile).
import { loadavg } from 'node:os';
import { clearInterval, setInterval } from 'node:timers';
import { machineBusyS, processCpuS } from '../proc.mjs';

export class CpuSampler {
  /**
   * @param {() => Map<string, number>} services name → pid of every service started so far
   * @param {import('pg').Client} db a connection to the installation's database
   */
  constructor(services, db) {
    this.services = services;
    this.db = db;
    /** name → last CPU seconds seen */
    this.lastByService = new Map();
    /** backend pid → last CPU seconds seen */
    this.lastByBackend = new Map();
    this.timer = undefined;
  }

  async start() {
    await this.sample();
    this.timer = setInterval(() => void this.sample().catch(() => undefined), 1_000);
  }

  stop() {
    clearInterval(this.timer);
  }

  async sample() {
    for (const [name, pid] of this.services()) {
      const cpu = processCpuS(pid);
      if (cpu !== undefined) this.lastByService.set(name, cpu);
    }
    const { rows } = await this.db.query(
      'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    for (const { pid } of rows) {
      const cpu = processCpuS(pid);
      if (cpu !== undefined) this.lastByBackend.set(pid, cpu);
    }
  }

  /** What every process used so far, sampled now. */
  async snapshot() {
    await this.sample();
    let postgres = 0;
    for (const cpu of this.lastByBackend.values()) postgres += cpu;
    return {
      at: Date.now(),
      services: Object.fromEntries(this.lastByService),
      postgres,
      machineBusy: machineBusyS(),
      self: process.cpuUsage(),
      load: loadavg().map((x) => Math.round(x * 100) / 100),
    };
  }
}

/** CPU seconds used between two snapshots, per service, by PostgreSQL and by anything else. */
export function cpuBetween(before, after) {
  const services = {};
  let ours = 0;
  for (const [name, cpu] of Object.entries(after.services)) {
    services[name] = round(cpu - (before.services[name] ?? 0));
    ours += services[name];
  }
  const postgres = round(after.postgres - before.postgres);
  const bench = (after.self.user + after.self.system - before.self.user - before.self.system) / 1e6;
  const machine = after.machineBusy - before.machineBusy;
  return {
    services,
    ingot: round(ours),
    postgres,
    bench: round(bench),
    other: round(Math.max(0, machine - ours - postgres - bench)),
    machine: round(machine),
    load_start: before.load,
    load_end: after.load,
  };
}

const round = (x) => Math.round(x * 100) / 100;
