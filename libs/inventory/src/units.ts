export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

/** Whole GiB in `bytes`, rounded down, as root device hints and local_gb count them. */
export const wholeGiB = (bytes: number): number => Math.floor(bytes / GiB);
