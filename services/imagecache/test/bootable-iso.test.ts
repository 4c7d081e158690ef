import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readIsoFile } from '@ingot/media';
import { ok, sha, startHarness, type Harness } from './harness.js';

const run = promisify(execFile);

/**
 * Boots the served per-node ISOs in QEMU, BIOS and UEFI. TCG by default: nested KVM on the CI
 * machines fails in isolinux's real-mode code (KVM "emulation failure"); INGOT_TEST_QEMU_ACCEL=kvm
 * uses KVM where it works.
 */
const ACCEL = process.env.INGOT_TEST_QEMU_ACCEL ?? 'tcg';
const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd';
const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';
/** Modules the marker initramfs loads to read the CD (IDE or AHCI), in dependency order. */
const MODULES = [
  'drivers/scsi/scsi_common',
  'drivers/scsi/scsi_mod',
  'drivers/cdrom/cdrom',
  'drivers/scsi/sr_mod',
  'drivers/ata/libata',
  'drivers/ata/ata_piix',
  'drivers/ata/libahci',
  'drivers/ata/ahci',
  'fs/isofs/isofs',
];

/** /init: mount the CD labelled INGOT-BOOT, print agent.json's node_uuid on the console, power off. */
const INIT = `#!/bin/busybox sh
B=/bin/busybox
$B mount -t devtmpfs dev /dev; $B mount -t proc proc /proc; $B mount -t sysfs sys /sys
for m in ${MODULES.map((m) => m.split('/').pop()).join(' ')}; do $B insmod /lib/modules/$m.ko; done
i=0
while [ $i -lt 150 ]; do dev=$($B findfs LABEL=INGOT-BOOT 2>/dev/null) && break; i=$((i+1)); $B sleep 0.2; done
if [ -n "$dev" ] && $B mount -t iso9660 -o ro "$dev" /mnt; then
  uuid=$($B sed -n 's/.*"node_uuid": *"\\([^"]*\\)".*/\\1/p' /mnt/ingot/agent.json)
  echo "INGOT-TEST-MARKER node_uuid=$uuid"
else
  echo "INGOT-TEST-MARKER no boot CD found"
fi
$B poweroff -f
`;

/** A Debian kernel and a busybox initramfs that proves the ISO it booted from is the node's. */
async function makeRamdisk(dir: string): Promise<{ kernel: string; initramfs: string }> {
  const kernelName = (await readdir('/boot'))
    .filter((f) => f.startsWith('vmlinuz-'))
    .sort()
    .pop();
  if (!kernelName) throw new Error('No /boot/vmlinuz-*: install linux-image-amd64');
  const version = kernelName.replace(/^vmlinuz-/, '');
  const root = join(dir, 'initramfs-root');
  for (const sub of ['bin', 'dev', 'proc', 'sys', 'mnt', 'lib/modules'])
    await mkdir(join(root, sub), { recursive: true });
  await copyFile('/bin/busybox', join(root, 'bin/busybox'));
  for (const module of MODULES)
    await copyFile(
      `/lib/modules/${version}/kernel/${module}.ko`,
      join(root, 'lib/modules', `${module.split('/').pop()}.ko`),
    );
  await writeFile(join(root, 'init'), INIT, { mode: 0o755 });
  const initramfs = join(dir, 'initramfs.cpio');
  await run('sh', ['-c', `cd "${root}" && find . | cpio -o -H newc --quiet > "${initramfs}"`]);
  return { kernel: join('/boot', kernelName), initramfs };
}

async function bootInQemu(iso: string, firmware: 'bios' | 'uefi', dir: string): Promise<string> {
  const serial = join(dir, `serial-${firmware}.log`);
  const args = ['-accel', ACCEL, '-m', '512', '-nographic', '-no-reboot', '-nic', 'none'];
  args.push('-monitor', 'none', '-serial', `file:${serial}`, '-cdrom', iso);
  if (firmware === 'uefi') {
    const vars = join(dir, 'OVMF_VARS.fd');
    await copyFile(OVMF_VARS, vars);
    args.push('-drive', `if=pflash,format=raw,readonly=on,file=${OVMF_CODE}`);
    args.push('-drive', `if=pflash,format=raw,file=${vars}`);
  }
  await run('qemu-system-x86_64', args, { timeout: 240_000 });
  return readFile(serial, 'utf8');
}

let harness: Harness;
let dir: string;
let ramdiskBytes = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bootable-iso-test-'));
  const ramdisk = await makeRamdisk(dir);
  for (const file of [ramdisk.kernel, ramdisk.initramfs])
    ramdiskBytes += (await readFile(file)).length;
  harness = await startHarness({
    INGOT_AGENT_KERNEL: ramdisk.kernel,
    INGOT_AGENT_INITRAMFS: ramdisk.initramfs,
  });
}, 120_000);

afterAll(async () => {
  await harness?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Builds the node's ISO and downloads it from the image cache, as a BMC would. */
async function servedIso(node: string) {
  const reply = ok(
    await harness.send(
      'image.boot_iso',
      { agent_config: { node_uuid: node, api_url: 'http://127.0.0.1:6385', agent_token: 't' } },
      { node },
    ),
  );
  const bytes = Buffer.from(await (await fetch(reply.url)).arrayBuffer());
  const path = join(dir, `${node}.iso`);
  await writeFile(path, bytes);
  return { reply, bytes, path };
}

describe('bootable boot ISOs', () => {
  it('a served ISO is BIOS and UEFI bootable, with the right size, digest and ranges', async () => {
    const { reply, bytes, path } = await servedIso('node-check');
    expect(reply.url.startsWith(`${harness.cache.bmcUrl}/boot/`)).toBe(true);
    expect(bytes.length).toBe(reply.size);
    expect(sha('sha256', bytes)).toBe(reply.sha256);
    const config = JSON.parse((await readIsoFile(path, 'ingot/agent.json')).toString());
    expect(config.node_uuid).toBe('node-check');

    const { stdout: fileOut } = await run('file', [path]);
    process.stdout.write(`${fileOut.trim()}\n`);
    expect(fileOut).toMatch(/ISO 9660 .*'INGOT-BOOT' \(bootable\)/);
    const { stdout: torito } = await run('xorriso', ['-indev', path, '-report_el_torito', 'plain']);
    process.stdout.write(`${torito.trim()}\n`);
    expect(torito).toMatch(/El Torito boot img :\s+1\s+BIOS\s+y/);
    expect(torito).toMatch(/El Torito boot img :\s+2\s+UEFI\s+y/);

    // BMCs read by ranges: one across the end of agent.json's extent matches the whole download.
    const at = bytes.length - 300 * 1024;
    const ranged = await fetch(reply.url, { headers: { range: `bytes=${at}-${at + 999_999}` } });
    expect(ranged.status).toBe(206);
    const part = Buffer.from(await ranged.arrayBuffer());
    expect(part.equals(bytes.subarray(at, at + 1_000_000))).toBe(true);
    const head = await fetch(reply.url, { method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe(String(reply.size));
    expect(head.headers.get('etag')).toBe(`"${reply.sha256}"`);

    // The iPXE path serves the very same kernel and initramfs.
    const kernel = Buffer.from(
      await (await fetch(`${harness.cache.publicUrl}/agent/agent.kernel`)).arrayBuffer(),
    );
    expect(kernel.equals(await readFile(harness.config.ramdisk!.kernel))).toBe(true);
    const initramfs = Buffer.from(
      await (await fetch(`${harness.cache.publicUrl}/agent/agent.initramfs`)).arrayBuffer(),
    );
    expect(initramfs.equals(await readFile(harness.config.ramdisk!.initramfs))).toBe(true);
  }, 120_000);

  it('boots the served ISO with SeaBIOS and prints the node marker', async () => {
    const { path } = await servedIso('node-bios-7');
    const serial = await bootInQemu(path, 'bios', dir);
    expect(serial).toContain('INGOT-TEST-MARKER node_uuid=node-bios-7');
  }, 300_000);

  it('boots the served ISO with OVMF (UEFI) and prints the node marker', async () => {
    const { path } = await servedIso('node-uefi-8');
    const serial = await bootInQemu(path, 'uefi', dir);
    expect(serial).toContain('INGOT-TEST-MARKER node_uuid=node-uefi-8');
  }, 300_000);

  it("20 nodes' ISOs take less disk than 2 × one ramdisk", async () => {
    for (let i = 0; i < 20; i += 1) await servedIso(`node-scale-${i}`).then((iso) => rm(iso.path));
    const { stdout } = await run('du', ['-sk', harness.config.dir]);
    const cacheBytes = Number(stdout.split(/\s/)[0]) * 1024;
    const boot = await readdir(join(harness.config.dir, 'boot'));
    process.stdout.write(
      `image cache dir with ${boot.length} node boot ISOs: ${cacheBytes} bytes on disk; ` +
        `one ramdisk (kernel + initramfs): ${ramdiskBytes} bytes; 2 × ramdisk: ${2 * ramdiskBytes}\n`,
    );
    expect(boot.length).toBeGreaterThanOrEqual(20);
    expect(cacheBytes).toBeLessThan(2 * ramdiskBytes);
  }, 120_000);
});
