import { execFile } from 'node:child_process';
import { open } from 'node:fs/promises';
import { promisify } from 'node:util';
import { readIsoFile } from '@ingot/media';

const run = promisify(execFile);
const SECTOR = 512;

/** What a server that boots from its disk finds there: the partitions and the config drive. */
export interface DiskReport {
  disk: string;
  label: string | null;
  partitions: { start: number; sizeBytes: number; type: string; name?: string }[];
  configDrive: { metaData: Record<string, unknown>; userData: string | null } | null;
  problem: string | null;
}

/** Reads a disk file the way cloud-init would look at it: partition table, then a config-2 ISO. */
export async function reportDisk(disk: string): Promise<DiskReport> {
  const report: DiskReport = {
    disk,
    label: null,
    partitions: [],
    configDrive: null,
    problem: null,
  };
  try {
    const { stdout } = await run('sfdisk', ['--json', disk], {
      env: { PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` },
    });
    const table = JSON.parse(stdout).partitiontable as {
      label: string;
      partitions?: { start: number; size: number; type: string; name?: string }[];
    };
    report.label = table.label;
    report.partitions = (table.partitions ?? []).map((p) => ({
      start: p.start,
      sizeBytes: p.size * SECTOR,
      type: p.type,
      ...(p.name ? { name: p.name } : {}),
    }));
  } catch {
    report.problem = 'no partition table: nothing bootable on this disk';
    return report;
  }
  const last = report.partitions.at(-1);
  if (!last) return report;
  const handle = await open(disk, 'r');
  try {
    const iso = Buffer.alloc(last.sizeBytes);
    await handle.read(iso, 0, iso.length, last.start * SECTOR);
    const metaData = JSON.parse(
      (await readIsoFile(iso, 'openstack/latest/meta_data.json')).toString('utf8'),
    ) as Record<string, unknown>;
    const userData = await readIsoFile(iso, 'openstack/latest/user_data').then(
      (b) => b.toString('utf8'),
      () => null,
    );
    report.configDrive = { metaData, userData };
  } catch {
    report.problem = 'the last partition holds no config drive';
  } finally {
    await handle.close();
  }
  return report;
}
