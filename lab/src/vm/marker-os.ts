import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findDebianKernel } from './debian-kernel.js';
import { buildBusyboxInitramfs } from './initramfs.js';

const run = promisify(execFile);
const SBIN = `${process.env.PATH ?? ''}:/usr/sbin:/sbin`;
const MiB = 1024 * 1024;
const ESP_TYPE = 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B';

/** The line the marker OS prints on its serial console once it has read its config drive. */
export const MARKER = 'INGOT-OS-BOOTED';

export interface MarkerOsOptions {
  /**
   * Boots from software RAID: mdadm (this machine's, with its libraries) and the md modules in the
   * initramfs, which assembles the arrays first, as a real system's initramfs does, so that the
   * config drive on a partition of the md root device is found.
   */
  softwareRaid?: boolean;
}

async function findMdadm(): Promise<string> {
  for (const path of ['/usr/sbin/mdadm', '/sbin/mdadm']) {
    if (
      await access(path).then(
        () => true,
        () => false,
      )
    )
      return path;
  }
  throw new Error('mdadm is missing: install it with `apt-get install mdadm`');
}

const assembleArrays = (mdadm: string) => `
mkdir -p /run/mdadm
${mdadm} --assemble --scan 2>&1
`;

export interface MarkerOsImage {
  raw: string;
  qcow2: string;
  qcow2Sha256: string;
  sizeBytes: number;
}

/**
 * A whole-disk image of a tiny operating system, made from Debian packages without root: a GPT
 * with one EFI system partition holding GRUB (grub-mkstandalone, removable-media path
 * EFI/BOOT/BOOTX64.EFI), this machine's Debian kernel and a busybox initramfs. Booted, it finds
 * its config drive (label config-2), prints
 *   INGOT-OS-BOOTED uuid=<meta_data uuid> user-data=<first line of user_data>
 * on ttyS0 and powers the machine off.
 */
export async function buildMarkerOsImage(
  dir: string,
  sizeMiB = 64,
  options: MarkerOsOptions = {},
): Promise<MarkerOsImage> {
  const work = await mkdtemp(join(dir, '.marker-os-'));
  try {
    const kernel = await findDebianKernel();
    const initrd = join(work, 'initrd.img');
    const mdadm = options.softwareRaid ? await findMdadm() : undefined;
    await buildBusyboxInitramfs(
      {
        kernel,
        modules: [
          'virtio_pci',
          'virtio_blk',
          'isofs',
          'vfat',
          'nls_cp437',
          'nls_utf8',
          'nls_ascii',
          ...(mdadm ? ['md_mod', 'raid0', 'raid1', 'raid10'] : []),
        ],
        binaries: mdadm ? [mdadm] : [],
        script: (mdadm ? assembleArrays(mdadm) : '') + MARKER_INIT,
      },
      initrd,
    );
    const grubCfg = join(work, 'grub.cfg');
    await writeFile(grubCfg, GRUB_CFG);
    const bootloader = join(work, 'BOOTX64.EFI');
    await run('grub-mkstandalone', [
      '-O',
      'x86_64-efi',
      '-o',
      bootloader,
      '--install-modules=linux normal search search_fs_file part_gpt fat echo gzio configfile',
      '--modules=part_gpt fat',
      '--locales=',
      '--fonts=',
      `boot/grub/grub.cfg=${grubCfg}`,
    ]).catch((error: Error) => {
      throw new Error(`grub-mkstandalone failed (install grub-efi-amd64-bin): ${error.message}`);
    });

    const espMiB = sizeMiB - 2; // 1 MiB before (GPT, alignment), 1 MiB after (backup GPT)
    const esp = join(work, 'esp.img');
    const env = { PATH: SBIN };
    await run('mkfs.vfat', ['-C', '-n', 'INGOT-ESP', esp, String(espMiB * 1024)], { env });
    const mtools = (tool: string, ...args: string[]) =>
      run(tool, ['-i', esp, ...args], { env: { ...env, MTOOLS_SKIP_CHECK: '1' } });
    await mtools('mmd', '::/EFI', '::/EFI/BOOT', '::/ingot-os');
    await mtools('mcopy', bootloader, '::/EFI/BOOT/BOOTX64.EFI');
    await mtools('mcopy', kernel.image, '::/ingot-os/vmlinuz');
    await mtools('mcopy', initrd, '::/ingot-os/initrd.img');

    const raw = join(dir, 'marker-os.raw');
    const disk = await open(raw, 'w');
    await disk.truncate(sizeMiB * MiB);
    await disk.write(await readFile(esp), 0, undefined, MiB);
    await disk.close();
    await sfdisk(
      raw,
      `label: gpt\nstart=2048, size=${espMiB * 2048}, type=${ESP_TYPE}, name="EFI"\n`,
    );
    const qcow2 = join(dir, 'marker-os.qcow2');
    await run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, qcow2]);
    const qcow2Sha256 = createHash('sha256')
      .update(await readFile(qcow2))
      .digest('hex');
    return { raw, qcow2, qcow2Sha256, sizeBytes: sizeMiB * MiB };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function sfdisk(path: string, script: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile('sfdisk', ['--quiet', path], { env: { PATH: SBIN } }, (error) =>
      error ? reject(new Error(`sfdisk ${path}: ${error.message}`)) : resolve(),
    );
    child.stdin!.end(script);
  });
}

const GRUB_CFG = `set timeout=0
search --no-floppy --file --set=root /ingot-os/vmlinuz
linux /ingot-os/vmlinuz console=ttyS0,115200 quiet
initrd /ingot-os/initrd.img
boot
`;

/** /init of the marker OS (busybox sh; modules are loaded by the preamble). */
const MARKER_INIT = `
# Debian's busybox-static has no blkid: read the ISO 9660 volume id (byte 32808) of each partition.
label_of() { dd if="$1" bs=1 skip=32808 count=32 2>/dev/null | tr -d ' \\000'; }
drive=''
for i in $(seq 1 40); do
  for dev in /dev/vd*[0-9] /dev/sd*[0-9] /dev/md*p[0-9]*; do
    [ -b "$dev" ] && [ "$(label_of "$dev")" = config-2 ] && drive=$dev && break
  done
  [ -n "$drive" ] && break
  sleep 0.25
done
if [ -z "$drive" ]; then
  echo "${MARKER} no-config-drive"
else
  mount -o ro -t iso9660 "$drive" /mnt
  meta=$(find /mnt -ipath '*/latest/meta_data.json' | head -n 1)
  user=$(find /mnt -ipath '*/latest/user_data' | head -n 1)
  uuid=$(sed -n 's/.*"uuid" *: *"\\([^"]*\\)".*/\\1/p' "$meta" | head -n 1)
  echo "${MARKER} uuid=$uuid user-data=$(head -n 1 "$user")"
fi
sync
poweroff -f
`;
