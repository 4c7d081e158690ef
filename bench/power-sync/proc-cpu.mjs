// CPU seconds from /proc for the power sync bench: each Ingot service process, PostgreSQL (the
// backends of this installation's database, and the whole cluster, which other work on the
// machine shares), this process (the light BMC host, the flips and the bench itself) and the
// whole machine, so that what everything else used meanwhile shows too.
import { readFileSync, readdirSync } from 'node:fs';
import { machineBusyS, postmasterPid, processCpuS, statFields } from '../proc.mjs';

export { loadAverage, processRssMiB } from '../proc.mjs';

/** Children of a process: the postmaster's backends and background workers. */
function childrenOf(ppid) {
  const children = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const f = statFields(entry);
    if (f && Number(f[1]) === ppid) children.push(Number(entry));
  }
  return children;
}

/** A backend's title says its database: "postgres: 15/main: user DATABASE 127.0.0.1(port) idle". */
function backendDatabase(pid) {
  try {
    const title = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    return /^postgres: [^:]+: \S+ (\S+) /.exec(title)?.[1];
  } catch {
    return undefined;
  }
}

/**
 * Cumulative CPU seconds of every group at the moment of the call; a bench diffs two readings.
 * PostgreSQL backends that exit between readings lose their last ticks (pools keep theirs open).
 */
export class CpuReader {
  /**
   * @param {() => Array<{name: string, pid: number}>} services the Ingot services now running
   * @param {string} database this installation's database
   */
  constructor(services, database) {
    this.services = services;
    this.database = database;
    this.postmaster = postmasterPid();
    /** backend pid → CPU seconds, kept so that a backend gone since counts what it had used */
    this.backends = new Map();
  }

  read() {
    const groups = {};
    for (const { name, pid } of this.services()) groups[name] = processCpuS(pid) ?? 0;
    if (this.postmaster) {
      let ours = 0;
      let cluster = processCpuS(this.postmaster, true) ?? 0;
      for (const pid of childrenOf(this.postmaster)) {
        const cpu = processCpuS(pid) ?? 0;
        cluster += cpu;
        if (backendDatabase(pid) === this.database) this.backends.set(pid, cpu);
      }
      for (const cpu of this.backends.values()) ours += cpu;
      groups['postgres (this db)'] = ours;
      groups['postgres (cluster)'] = cluster;
    }
    const self = process.cpuUsage();
    groups['bench + light host'] = (self.user + self.system) / 1e6;
    groups.machine = machineBusyS();
    return groups;
  }
}
