// A simulated machine for the agent: a hardware profile and sparse files as disks.
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentConfig, LabHardwareProfile } from '../../src/index.js';
import { parseConfig } from '../../src/index.js';

export const MiB = 1024 * 1024;

export interface LabMachine {
  dir: string;
  profilePath: string;
  disks: Record<string, string>;
  profile: LabHardwareProfile;
  config(overrides?: Record<string, unknown>): AgentConfig;
  /** The raw JSON config, as a file would hold it. */
  rawConfig(overrides?: Record<string, unknown>): Record<string, unknown>;
  cleanup(): Promise<void>;
}

export const LAB_MACS = ['52:54:00:00:01:01', '52:54:00:00:01:02'];

/** Disks are sparse files of the given sizes (default one 64 MiB /dev/sda). */
export async function makeLabMachine(
  apiUrl: string,
  diskSizes: Record<string, number> = { '/dev/sda': 64 * MiB },
): Promise<LabMachine> {
  const dir = await mkdtemp(join(tmpdir(), 'ingot-agent-test-'));
  const disks: Record<string, string> = {};
  for (const [name, size] of Object.entries(diskSizes)) {
    const path = join(dir, `${name.replace('/dev/', '')}.img`);
    const handle = await open(path, 'w');
    await handle.truncate(size);
    await handle.close();
    disks[name] = path;
  }
  const profile: LabHardwareProfile = {
    cpu: { model_name: 'Lab CPU', count: 4, architecture: 'x86_64', frequency: 2400 },
    memory_mb: 8192,
    disks: Object.entries(diskSizes).map(([name, size]) => ({
      name,
      size_bytes: size,
      rotational: false,
      serial: `SER-${name.replace('/dev/', '')}`,
    })),
    interfaces: LAB_MACS.map((mac, i) => ({ name: `eth${i}`, mac_address: mac })),
    boot_mode: 'uefi',
    bmc_address: '127.0.0.1',
  };
  const profilePath = join(dir, 'profile.json');
  await writeFile(profilePath, JSON.stringify(profile));
  const rawConfig = (overrides: Record<string, unknown> = {}) => ({
    api_url: apiUrl,
    listen_host: '127.0.0.1',
    listen_port: 0,
    lookup_interval_s: 0.05,
    lookup_timeout_s: 10,
    min_heartbeat_gap_s: 0.1,
    platform: 'lab',
    hardware_profile: profilePath,
    disks,
    work_dir: join(dir, 'work'),
    // The protocol tests call the agent over plain HTTP; auto-tls.test.ts turns this on.
    enable_auto_tls: false,
    ...overrides,
  });
  return {
    dir,
    profilePath,
    disks,
    profile,
    rawConfig,
    config: (overrides) => parseConfig(rawConfig(overrides)).config,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
