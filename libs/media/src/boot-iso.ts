import { access, copyFile, mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkedIsoEntries, checkedSegments, checkVolumeId, stageIsoTree } from './iso.js';
import { MediaToolError, runTool } from './run-tool.js';
import { withTempDir } from './temp-dir.js';

/** A Linux kernel and initramfs the ISO boots, BIOS (isolinux) and UEFI (grub), with one command line. */
export interface IsoBootSpec {
  kernel: string;
  initramfs: string;
  /** Kernel command line; the same for both firmwares. */
  cmdline: string;
}

export interface IsoFileSpec {
  /** Relative paths inside the image to their content. */
  files: Record<string, Buffer | string>;
  volumeId: string;
  /** Makes the image bootable; without it the ISO only holds `files`. */
  boot?: IsoBootSpec;
  /** Files written after all others in the image, so the bytes before them form a stable prefix. */
  placeLast?: string[];
}

/** Where the ISO holds the boot files; the iPXE path serves the same extents. */
export const ISO_KERNEL_PATH = 'boot/agent.kernel';
export const ISO_INITRAMFS_PATH = 'boot/agent.initramfs';

/** Debian's boot loader files (packages isolinux, syslinux-common, grub-efi-amd64-bin). */
const ISOLINUX_BIN = '/usr/lib/ISOLINUX/isolinux.bin';
const ISOHYBRID_MBR = '/usr/lib/ISOLINUX/isohdpfx.bin';
const LDLINUX_C32 = '/usr/lib/syslinux/modules/bios/ldlinux.c32';
const GRUB_EFI_MODULES = '/usr/lib/grub/x86_64-efi';
const PACKAGES = 'xorriso isolinux syslinux-common grub-efi-amd64-bin mtools dosfstools';

const EFI_IMAGE_PATH = 'boot/efi.img';
const TOOL_TIMEOUT_MS = 300_000;

/** grub modules built into BOOTX64.EFI: enough to find the ISO by its label and boot Linux. */
const GRUB_MODULES = [
  'part_gpt',
  'part_msdos',
  'iso9660',
  'search',
  'search_label',
  'linux',
  'normal',
  'configfile',
  'echo',
  'serial',
  'terminal',
  'efi_gop',
  'all_video',
  'sleep',
  'halt',
  'test',
];

/**
 * Writes an ISO 9660 image (Rock Ridge and Joliet names) to `out`. With `boot`, it holds the kernel
 * and initramfs under boot/, an El Torito BIOS image (isolinux) and an El Torito UEFI image (a FAT
 * EFI system partition holding a standalone grub as EFI/BOOT/BOOTX64.EFI), and is isohybrid, so it
 * also boots when written to a USB stick.
 */
export async function writeIsoFile(out: string, spec: IsoFileSpec): Promise<void> {
  checkVolumeId(spec.volumeId);
  const entries = checkedIsoEntries(spec.files);
  if (entries.length === 0 && !spec.boot) throw new Error('An ISO image needs at least one file');
  if (spec.boot) await checkBootTools(spec.boot);
  await withTempDir(async (dir) => {
    const root = join(dir, 'root');
    await stageIsoTree(root, entries);
    const bootArgs = spec.boot ? await stageBootFiles(dir, root, spec.volumeId, spec.boot) : [];
    const sortArgs = (spec.placeLast ?? []).flatMap((path) => [
      '--sort-weight',
      '-1',
      `/${checkedSegments(path).join('/')}`,
    ]);
    await runTool(
      'xorriso',
      [
        '-as',
        'mkisofs',
        '-V',
        spec.volumeId,
        '-J',
        '-joliet-long',
        '-r',
        ...bootArgs,
        ...sortArgs,
        '-o',
        out,
        root,
      ],
      { timeoutMs: TOOL_TIMEOUT_MS },
    );
  });
}

async function checkBootTools(boot: IsoBootSpec): Promise<void> {
  for (const [what, path] of [
    ['kernel', boot.kernel],
    ['initramfs', boot.initramfs],
  ] as const) {
    const found = await stat(path).catch(() => undefined);
    if (!found?.isFile()) throw new Error(`The ${what} to boot, ${path}, is not a readable file`);
  }
  for (const path of [ISOLINUX_BIN, ISOHYBRID_MBR, LDLINUX_C32, GRUB_EFI_MODULES]) {
    await access(path).catch(() => {
      throw new MediaToolError(
        `${path} is missing: a bootable ISO needs the Debian packages ${PACKAGES}`,
        'xorriso',
        null,
        '',
      );
    });
  }
}

/** Copies kernel, initramfs and boot loaders into the tree; returns xorriso's boot options. */
async function stageBootFiles(
  dir: string,
  root: string,
  volumeId: string,
  boot: IsoBootSpec,
): Promise<string[]> {
  if (/[\n\r]/.test(boot.cmdline)) throw new Error('A kernel command line is one line');
  await mkdir(join(root, 'boot'), { recursive: true });
  await copyFile(boot.kernel, join(root, ISO_KERNEL_PATH));
  await copyFile(boot.initramfs, join(root, ISO_INITRAMFS_PATH));

  const isolinux = join(root, 'isolinux');
  await mkdir(isolinux);
  await copyFile(ISOLINUX_BIN, join(isolinux, 'isolinux.bin'));
  await copyFile(LDLINUX_C32, join(isolinux, 'ldlinux.c32'));
  await writeFile(
    join(isolinux, 'isolinux.cfg'),
    [
      'SERIAL 0 115200',
      'DEFAULT agent',
      'PROMPT 0',
      'TIMEOUT 0',
      'LABEL agent',
      `  KERNEL /${ISO_KERNEL_PATH}`,
      `  APPEND initrd=/${ISO_INITRAMFS_PATH} ${boot.cmdline}`,
      '',
    ].join('\n'),
  );

  await writeEfiImage(dir, join(root, EFI_IMAGE_PATH), volumeId, boot.cmdline);
  return [
    '-b',
    'isolinux/isolinux.bin',
    '-c',
    'isolinux/boot.cat',
    '-no-emul-boot',
    '-boot-load-size',
    '4',
    '-boot-info-table',
    '-isohybrid-mbr',
    ISOHYBRID_MBR,
    '-eltorito-alt-boot',
    '-e',
    EFI_IMAGE_PATH,
    '-no-emul-boot',
    '-isohybrid-gpt-basdat',
  ];
}

/**
 * The EFI system partition image: FAT made by mkfs.vfat and filled by mtools (no mount, no loop
 * device) with a standalone grub whose embedded grub.cfg finds the ISO by its volume id.
 */
async function writeEfiImage(
  dir: string,
  out: string,
  volumeId: string,
  cmdline: string,
): Promise<void> {
  const grubCfg = join(dir, 'grub.cfg');
  await writeFile(
    grubCfg,
    [
      'serial --unit=0 --speed=115200',
      'terminal_input serial console',
      'terminal_output serial console',
      `search --no-floppy --label ${grubQuote(volumeId)} --set=root`,
      `echo 'Booting the Ingot agent from ${volumeId}'`,
      `linux /${ISO_KERNEL_PATH} ${cmdline}`,
      `initrd /${ISO_INITRAMFS_PATH}`,
      'boot',
      '',
    ].join('\n'),
  );
  const efi = join(dir, 'BOOTX64.EFI');
  await runTool(
    'grub-mkstandalone',
    [
      '-O',
      'x86_64-efi',
      '-d',
      GRUB_EFI_MODULES,
      '-o',
      efi,
      `--modules=${GRUB_MODULES.join(' ')}`,
      `--install-modules=${GRUB_MODULES.join(' ')}`,
      '--locales=',
      '--themes=',
      '--fonts=',
      `boot/grub/grub.cfg=${grubCfg}`,
    ],
    { timeoutMs: TOOL_TIMEOUT_MS },
  );
  const { size } = await stat(efi);
  // FAT overhead and directories; mkfs.vfat -C takes the size in KiB.
  const kib = Math.ceil(size / 1024) + 512;
  await runTool('mkfs.vfat', ['-C', '-n', 'INGOT-ESP', out, String(kib)], {
    timeoutMs: TOOL_TIMEOUT_MS,
  });
  await runTool('mmd', ['-i', out, '::/EFI', '::/EFI/BOOT'], { timeoutMs: TOOL_TIMEOUT_MS });
  await runTool('mcopy', ['-i', out, efi, '::/EFI/BOOT/BOOTX64.EFI'], {
    timeoutMs: TOOL_TIMEOUT_MS,
  });
}

const grubQuote = (value: string): string => `'${value.replace(/'/g, `'\\''`)}'`;

/** Where a file's bytes lie in an ISO image. */
export interface IsoExtent {
  /** Byte offset in the image. */
  offset: number;
  size: number;
}

const BLOCK = 2048;

/**
 * The extent of one file in an ISO image, as xorriso reports it. Refuses a file stored in several
 * extents (only files of 4 GiB and more are), since callers read it as one run of bytes.
 */
export async function isoFileExtent(isoPath: string, innerPath: string): Promise<IsoExtent> {
  const inner = `/${checkedSegments(innerPath.replace(/^\/+/, '')).join('/')}`;
  const { stdout } = await runTool(
    'xorriso',
    ['-indev', isoPath, '-find', inner, '-type', 'f', '-exec', 'report_lba', '--'],
    { timeoutMs: TOOL_TIMEOUT_MS },
  );
  // "File data lba:  0 ,      35 ,      32 ,      65536 , '/ingot/agent.json'"
  const extents = stdout
    .split('\n')
    .map((line) => /^File data lba:\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*,/.exec(line))
    .filter((match) => match !== null);
  if (extents.length === 0) throw new Error(`The ISO image ${isoPath} has no file ${inner}`);
  if (extents.length > 1)
    throw new Error(`${inner} in ${isoPath} is stored in ${extents.length} extents, not one`);
  const [, , lba = '0', , size = '0'] = extents[0] ?? [];
  return { offset: Number(lba) * BLOCK, size: Number(size) };
}
