import type { RaidLevel } from '../interfaces.js';

interface LevelRule {
  /** Redfish RAIDType (Ironic's redfish raid.py RAID_LEVELS). */
  raidType: string;
  minDrives: number;
  /** What a drive count lacks for this level, or undefined when it fits. */
  fits(drives: number): string | undefined;
  /** How many drives' worth of data `drives` drives hold. */
  data(drives: number): number;
}

const atLeast = (min: number) => (n: number) => (n >= min ? undefined : `at least ${min} drives`);
/** Spanned levels: an even number of drives, at least `min` (two spans of the base level). */
const spanned = (min: number) => (n: number) =>
  n >= min && n % 2 === 0 ? undefined : `an even number of drives, at least ${min}`;

export const LEVELS: Record<RaidLevel, LevelRule> = {
  '0': { raidType: 'RAID0', minDrives: 1, fits: atLeast(1), data: (n) => n },
  '1': {
    raidType: 'RAID1',
    minDrives: 2,
    fits: (n) => (n === 2 ? undefined : 'exactly 2 drives'),
    data: () => 1,
  },
  '5': { raidType: 'RAID5', minDrives: 3, fits: atLeast(3), data: (n) => n - 1 },
  '6': { raidType: 'RAID6', minDrives: 4, fits: atLeast(4), data: (n) => n - 2 },
  '1+0': { raidType: 'RAID10', minDrives: 4, fits: spanned(4), data: (n) => n / 2 },
  '5+0': { raidType: 'RAID50', minDrives: 6, fits: spanned(6), data: (n) => n - 2 },
  '6+0': { raidType: 'RAID60', minDrives: 8, fits: spanned(8), data: (n) => n - 4 },
};

export const levelOf = (raidType: string): RaidLevel | null =>
  (Object.keys(LEVELS) as RaidLevel[]).find((l) => LEVELS[l].raidType === raidType) ?? null;

/** What a volume of `level` over drives of these capacities can hold. */
export function usableBytes(level: RaidLevel, capacities: number[]): number {
  if (capacities.length === 0) return 0;
  return LEVELS[level].data(capacities.length) * Math.min(...capacities);
}

export interface DriveSpace<D> {
  drive: D;
  bytes: number;
}

/** The smallest set of the fewest free drives that holds `wanted` bytes at `level`. */
export function pickDrives<D>(
  level: RaidLevel,
  free: DriveSpace<D>[],
  wanted: number,
): D[] | undefined {
  const count = LEVELS[level].minDrives;
  const sorted = [...free].sort((a, b) => a.bytes - b.bytes);
  for (let i = 0; i + count <= sorted.length; i++) {
    const window = sorted.slice(i, i + count);
    if (
      usableBytes(
        level,
        window.map((w) => w.bytes),
      ) >= wanted
    )
      return window.map((w) => w.drive);
  }
  return undefined;
}
