// Disks from lsblk, or from /sys/block when lsblk is missing.
import { readdir, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { tryTool } from '../../tools.js';
import type { Disk } from '../types.js';
import type { Warn } from './probe.js';
import { readText } from './probe.js';

/** Block devices that are never install targets. */
const IGNORED_DISK_PREFIXES = ['ram', 'loop', 'zram', 'fd', 'sr', 'nbd', 'dm-'];

interface LsblkDevice {
  name?: string;
  path?: string;
  type?: string;
  size?: number | string;
  rota?: boolean | string;
  ro?: boolean | string;
  model?: string | null;
  serial?: string | null;
  vendor?: string | null;
  wwn?: string | null;
  hctl?: string | null;
  tran?: string | null;
  'log-sec'?: number | string | null;
  'phy-sec'?: number | string | null;
}

export async function listDisks(warn: Warn): Promise<Disk[]> {
  const byPath = await byPathLinks();
  const out = await tryTool('lsblk', ['--json', '--bytes', '--nodeps', '--output-all']);
  if (out === undefined) {
    warn('lsblk is unavailable or failed: disks read from /sys/block with fewer details');
    return listDisksFromSysfs(byPath);
  }
  const devices = (JSON.parse(out) as { blockdevices?: LsblkDevice[] }).blockdevices ?? [];
  // lsblk lists an md device under its members, which --nodeps hides: named, it is listed.
  const md = (await readdir('/sys/block').catch(() => [] as string[])).filter(
    (name) => /^md\d+$/.test(name) && !devices.some((d) => d.name === name),
  );
  if (md.length > 0) {
    const more = await tryTool('lsblk', [
      '--json',
      '--bytes',
      '--nodeps',
      '--output-all',
      ...md.map((name) => `/dev/${name}`),
    ]);
    if (more)
      devices.push(...((JSON.parse(more) as { blockdevices?: LsblkDevice[] }).blockdevices ?? []));
  }
  const listed = devices.filter(
    (d) =>
      (d.type === 'disk' || isRaidType(d.type)) &&
      isCandidateDisk(d.name ?? '') &&
      Number(d.size) > 0,
  );
  const disks: Disk[] = [];
  for (const d of listed) {
    const name = d.path ?? `/dev/${d.name}`;
    // As IPA lists md devices among the disks (their TYPE contains 'raid'), with the disks they
    // are built on: a root device hint may name /dev/md0, and its holders are no install target.
    const holders = isRaidType(d.type) ? await holderDisksOf(d.name ?? '') : undefined;
    disks.push({
      name,
      model: clean(d.model),
      size: Number(d.size),
      rotational: d.rota === true || d.rota === '1',
      wwn: clean(d.wwn),
      serial: clean(d.serial),
      vendor: clean(d.vendor),
      wwn_with_extension: clean(d.wwn),
      wwn_vendor_extension: null,
      hctl: clean(d.hctl),
      by_path: byPath.get(name) ?? null,
      logical_sectors: numberOrNull(d['log-sec']),
      physical_sectors: numberOrNull(d['phy-sec']),
      tran: clean(d.tran),
      ...(holders ? { holder_disks: holders } : {}),
    });
  }
  return disks;
}

/** lsblk's TYPE of an md device: raid0, raid1, raid10, ... ('md' is a partition of one). */
const isRaidType = (type: string | undefined): boolean => type?.startsWith('raid') === true;

/** The disks under an md device: the parents of its member partitions (/sys/block/mdN/slaves). */
export async function holderDisksOf(kname: string): Promise<string[]> {
  const members = await readdir(`/sys/block/${kname}/slaves`).catch(() => [] as string[]);
  const disks: string[] = [];
  for (const member of members) {
    // /sys/class/block/vda1 → .../block/vda/vda1: a partition's parent directory is its disk.
    const real = await realpath(`/sys/class/block/${member}`).catch(() => undefined);
    const parent = real?.split('/').slice(-2, -1)[0];
    const disk = parent && parent !== 'block' ? `/dev/${parent}` : `/dev/${member}`;
    if (!disks.includes(disk)) disks.push(disk);
  }
  return disks;
}

function isCandidateDisk(name: string): boolean {
  return name.length > 0 && !IGNORED_DISK_PREFIXES.some((prefix) => name.startsWith(prefix));
}

function clean(value: string | null | undefined): string | null {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
}

function numberOrNull(value: number | string | null | undefined): number | null {
  const n = Number(value);
  return value !== null && value !== undefined && Number.isFinite(n) ? n : null;
}

async function listDisksFromSysfs(byPath: Map<string, string>): Promise<Disk[]> {
  const names = await readdir('/sys/block').catch(() => [] as string[]);
  const disks: Disk[] = [];
  for (const kname of names.filter(isCandidateDisk)) {
    const sectors = Number(await readText(`/sys/block/${kname}/size`));
    if (!(sectors > 0)) continue;
    const name = `/dev/${kname}`;
    disks.push({
      name,
      model: clean(await readText(`/sys/block/${kname}/device/model`)),
      size: sectors * 512,
      rotational: (await readText(`/sys/block/${kname}/queue/rotational`)) === '1',
      wwn: clean(await readText(`/sys/block/${kname}/device/wwid`)),
      serial: clean(await readText(`/sys/block/${kname}/device/serial`)),
      vendor: clean(await readText(`/sys/block/${kname}/device/vendor`)),
      wwn_with_extension: null,
      wwn_vendor_extension: null,
      hctl: null,
      by_path: byPath.get(name) ?? null,
      logical_sectors: numberOrNull(await readText(`/sys/block/${kname}/queue/logical_block_size`)),
      physical_sectors: numberOrNull(
        await readText(`/sys/block/${kname}/queue/physical_block_size`),
      ),
      tran: null,
    });
  }
  return disks;
}

/** /dev/sda → /dev/disk/by-path/pci-...: stable names that root device hints may use. */
async function byPathLinks(): Promise<Map<string, string>> {
  const dir = '/dev/disk/by-path';
  const links = new Map<string, string>();
  for (const link of await readdir(dir).catch(() => [] as string[])) {
    const target = await realpath(join(dir, link)).catch(() => undefined);
    if (target && !links.has(target)) links.set(target, join(dir, link));
  }
  return links;
}
