import { createHash } from 'node:crypto';

export interface DiskProfile {
  name: string;
  size_bytes: number;
  rotational: boolean;
}

/** What an inspection of the simulated server would find. */
export interface HardwareProfile {
  cpus: number;
  memory_mb: number;
  disks: DiskProfile[];
}

/** Identity of one simulated server: the same index always yields the same server. */
export interface ServerIdentity {
  index: number;
  name: string;
  uuid: string;
  /** Two NICs, locally administered (52:54:00 is QEMU's prefix, which tools recognise). */
  macs: [string, string];
  profile: HardwareProfile;
}

const GiB = 1024 ** 3;

export function describeServer(index: number): ServerIdentity {
  if (!Number.isInteger(index) || index < 0 || index > 0xffff) {
    throw new RangeError(`server index must be an integer in 0..65535, got ${index}`);
  }
  return {
    index,
    name: `lab-server-${String(index + 1).padStart(3, '0')}`,
    uuid: uuidFor(`ingot-lab-server-${index}`),
    macs: [macFor(index, 1), macFor(index, 2)],
    profile: profileFor(index),
  };
}

function macFor(index: number, nic: number): string {
  const bytes = [0x52, 0x54, 0x00, index >> 8, index & 0xff, nic];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** A name-based (version 5 style) UUID, stable across runs. */
function uuidFor(name: string): string {
  const hex = createHash('sha1').update(name).digest('hex').slice(0, 32).split('');
  hex[12] = '5';
  hex[16] = ((parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  const h = hex.join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A little variety so that inspection rules and root-device hints have something to choose. */
function profileFor(index: number): HardwareProfile {
  const disks: DiskProfile[] = [{ name: '/dev/sda', size_bytes: 64 * GiB, rotational: false }];
  if (index % 2 === 1) disks.push({ name: '/dev/sdb', size_bytes: 500 * GiB, rotational: true });
  return { cpus: 2 + (index % 3) * 2, memory_mb: 4096 * (1 + (index % 2)), disks };
}
