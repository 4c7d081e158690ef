// Memory: what the kernel sees, and what the DIMMs add up to (dmidecode).
import { findTool, tryTool } from '../../tools.js';
import type { Memory } from '../types.js';
import type { Warn } from './probe.js';
import { readText } from './probe.js';

const MiB = 1024 * 1024;

export async function readMemory(warn: Warn): Promise<Memory> {
  const meminfo = await readText('/proc/meminfo');
  const kb = Number(/^MemTotal:\s+(\d+)\s+kB/m.exec(meminfo ?? '')?.[1] ?? NaN);
  const total = Number.isFinite(kb) ? kb * 1024 : 0;
  if (!total) warn('/proc/meminfo has no MemTotal: memory size is unknown');
  let physicalMb = await physicalMemoryFromDmidecode();
  if (physicalMb === undefined) {
    // The kernel keeps some memory for itself, so this slightly under-reports the DIMMs.
    warn('dmidecode is unavailable: physical_mb estimated from MemTotal');
    physicalMb = Math.round(total / MiB);
  }
  return { total, physical_mb: physicalMb };
}

async function physicalMemoryFromDmidecode(): Promise<number | undefined> {
  if (!(await findTool('dmidecode'))) return undefined;
  const out = await tryTool('dmidecode', ['--type', '17']);
  if (!out) return undefined;
  let mb = 0;
  for (const match of out.matchAll(/^\s*Size:\s+(\d+)\s+(MB|GB|TB)\s*$/gm)) {
    const size = Number(match[1]);
    mb += match[2] === 'TB' ? size * 1024 * 1024 : match[2] === 'GB' ? size * 1024 : size;
  }
  return mb > 0 ? mb : undefined;
}
