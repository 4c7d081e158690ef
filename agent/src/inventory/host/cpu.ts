// CPU facts from /proc/cpuinfo.
import { machine } from 'node:os';
import type { Cpu } from '../types.js';
import type { Warn } from './probe.js';
import { readText } from './probe.js';

export async function readCpu(warn: Warn): Promise<Cpu> {
  const text = await readText('/proc/cpuinfo');
  if (!text) warn('/proc/cpuinfo is unreadable: CPU details are unknown');
  const blocks = (text ?? '').split(/\n\s*\n/).map(parseCpuinfoBlock);
  const processors = blocks.filter((b) => b.has('processor'));
  const first = processors[0] ?? new Map<string, string>();
  const sockets = new Set(
    processors.map((b) => b.get('physical id')).filter((id) => id !== undefined),
  );
  return {
    model_name: first.get('model name') ?? first.get('cpu model') ?? null,
    frequency: first.get('cpu MHz') ?? null,
    count: Math.max(processors.length, 1),
    architecture: machine(),
    flags: (first.get('flags') ?? first.get('Features') ?? '').split(/\s+/).filter(Boolean),
    socket_count: sockets.size > 0 ? sockets.size : 1,
  };
}

function parseCpuinfoBlock(block: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of block.split('\n')) {
    const at = line.indexOf(':');
    if (at > 0) fields.set(line.slice(0, at).trim(), line.slice(at + 1).trim());
  }
  return fields;
}
