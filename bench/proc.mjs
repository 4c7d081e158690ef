// Readers of /proc shared by the benches: CPU seconds of a process and of the whole machine,
// resident memory, the load average, and the local PostgreSQL cluster's postmaster.
import { readFileSync, readdirSync } from 'node:fs';

const CLK_TCK = 100; // getconf CLK_TCK on Linux x86-64

/** The fields of /proc/PID/stat from field 3 (state) on, or undefined once the process is gone. */
export function statFields(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After the command's closing parenthesis: field 3 (state) onwards.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** utime + stime of a process in seconds (with its reaped children's when asked), or undefined once gone. */
export function processCpuS(pid, withReapedChildren = false) {
  const f = statFields(pid);
  if (!f) return undefined;
  const own = Number(f[11]) + Number(f[12]);
  return (withReapedChildren ? own + Number(f[13]) + Number(f[14]) : own) / CLK_TCK;
}

/** Resident memory of a process in MiB. */
export function processRssMiB(pid) {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Busy CPU seconds of the whole machine since boot. */
export function machineBusyS() {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const t = ticks.map(Number);
  const idle = t[3] + (t[4] ?? 0);
  return (t.slice(0, 8).reduce((a, b) => a + b, 0) - idle) / CLK_TCK;
}

export const loadAverage = () =>
  readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);

/** The postmaster of the local cluster (Debian's pid file), as bench/ingot-run.mjs finds it. */
export function postmasterPid() {
  const dir = '/var/run/postgresql';
  try {
    const file = readdirSync(dir).find((f) => /-main\.pid$/.test(f));
    return file ? Number(readFileSync(`${dir}/${file}`, 'utf8').split('\n')[0].trim()) : undefined;
  } catch {
    return undefined;
  }
}
