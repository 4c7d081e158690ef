// The agent ramdisk boots in a QEMU virtual machine (KVM when it works, else TCG), finds its
// node by the VM's MAC through a restrict=on user network, reports the VM's real hardware,
// heartbeats with the forwarded callback URL, and powers the VM off when told.
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hardwareManagerVersions } from '../src/hardware-manager.js';
import { postCommand, runCommand } from './helpers/agent-api.js';
import { FAKE_TOKEN, FakeIronic } from './helpers/fake-ironic.js';
import {
  chooseAccelerator,
  requireVmTools,
  freePort,
  GUEST_HOST_ADDRESS,
  startVm,
  type Vm,
} from './helpers/qemu.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const MAC = '52:54:00:a6:e0:01';
const MEMORY_MIB = 1024;
const CPUS = 2;
const DISK_BYTES = 6 * 1024 ** 3;

let kernel = process.env.INGOT_AGENT_KERNEL ?? '';
let initramfs = process.env.INGOT_AGENT_INITRAMFS ?? '';
let dir = '';
let vm: Vm | undefined;
let ironic: FakeIronic | undefined;

beforeAll(async () => {
  requireVmTools();
  if (!kernel || !initramfs) {
    // Idempotent: returns at once when .ramdisk/ is up to date.
    execFileSync('bash', [join(repo, 'scripts/build-agent-ramdisk.sh')], {
      cwd: repo,
      stdio: 'pipe',
    });
    kernel = join(repo, '.ramdisk/agent.kernel');
    initramfs = join(repo, '.ramdisk/agent.initramfs');
  }
  dir = await mkdtemp(join(tmpdir(), 'ingot-ramdisk-boot-'));
}, 600_000);

afterAll(async () => {
  vm?.kill();
  await ironic?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function until(what: string, done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (vm && vm.process.exitCode !== null) {
      throw new Error(
        `the VM exited while waiting for ${what}: ${vm.stderr()}\n${await vm.serial()}`,
      );
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for ${what}; serial console:\n${(await vm?.serial())?.slice(-4000)}`,
      );
    }
    await delay(200);
  }
}

describe('agent ramdisk in a virtual machine', () => {
  it('looks up by MAC, reports the VM, heartbeats, cleans its disk and powers off', async () => {
    ironic = await new FakeIronic().start();
    const apiPort = Number(new URL(ironic.url).port);
    const agentPort = await freePort();
    const disk = join(dir, 'vda.img');
    const file = await open(disk, 'w');
    await file.truncate(DISK_BYTES);
    await file.close();
    // A GPT with one partition, for the guest's clean step to erase.
    execFileSync('sfdisk', ['--quiet', disk], { input: 'label: gpt\n,1GiB\n' });
    const accel = await chooseAccelerator(kernel);
    const api = `http://${GUEST_HOST_ADDRESS}:${apiPort}`;

    vm = startVm({
      kernel,
      initramfs,
      accel,
      append: [
        'console=ttyS0',
        `ipa-api-url=${api}`,
        `ipa-inspection-callback-url=${api}/v1/continue_inspection`,
        'ipa-advertise-host=127.0.0.1',
        `ipa-advertise-port=${agentPort}`,
        // These tests call the agent over plain HTTP (auto TLS: agent/test/auto-tls.test.ts).
        'ipa-enable-auto-tls=0',
      ].join(' '),
      memoryMiB: MEMORY_MIB,
      cpus: CPUS,
      mac: MAC,
      disk,
      serialLog: join(dir, 'serial.log'),
      guestForwards: [apiPort],
      hostForward: { host: agentPort, guest: 9999 },
    });
    const timeoutMs = accel === 'kvm' ? 60_000 : 240_000;
    await until('the first heartbeat', () => ironic!.heartbeats.length > 0, timeoutMs);
    const lookupS = (ironic.lookups[0]!.at - vm.startedAt) / 1000;
    const heartbeatS = (ironic.heartbeats[0]!.at - vm.startedAt) / 1000;
    process.stdout.write(
      `agent ramdisk (${accel}): boot to inventory ${((ironic.inspections[0]?.at ?? NaN) - vm.startedAt) / 1000} s, ` +
        `to lookup ${lookupS} s, to first heartbeat ${heartbeatS} s\n`,
    );

    expect(ironic.lookups[0]!.query.get('addresses')?.split(',')).toContain(MAC);
    const inventory = ironic.inspections[0]!.body.inventory;
    expect(inventory.interfaces.map((i: { mac_address: string }) => i.mac_address)).toContain(MAC);
    expect(inventory.cpu.count).toBe(CPUS);
    expect(inventory.cpu.architecture).toBe('x86_64');
    expect(inventory.memory.physical_mb).toBe(MEMORY_MIB);
    expect(inventory.memory.total).toBeGreaterThan(0.7 * MEMORY_MIB * 1024 ** 2);
    expect(inventory.memory.total).toBeLessThanOrEqual(MEMORY_MIB * 1024 ** 2);
    expect(inventory.disks).toEqual([
      expect.objectContaining({ name: '/dev/vda', size: DISK_BYTES }),
    ]);
    expect(inventory.system_vendor.manufacturer).toBe('QEMU');

    const heartbeat = ironic.heartbeats[0]!.body;
    expect(heartbeat).toMatchObject({
      callback_url: `http://127.0.0.1:${agentPort}`,
      agent_token: FAKE_TOKEN,
    });

    const agentUrl = `http://127.0.0.1:${agentPort}`;
    const status = await fetch(`${agentUrl}/v1/status`);
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({ version: expect.any(String) });

    const cleaned = await runCommand(agentUrl, FAKE_TOKEN, 'clean.execute_clean_step', {
      node: { uuid: ironic.nodeUuid },
      ports: [],
      step: { step: 'erase_devices_metadata', interface: 'deploy' },
      clean_version: hardwareManagerVersions(),
    });
    expect(cleaned, JSON.stringify(cleaned.command_error)).toMatchObject({
      command_status: 'SUCCEEDED',
    });

    const answer = await postCommand(agentUrl, FAKE_TOKEN, 'standby.power_off', {});
    expect(answer.status).toBe(200);
    const exit = await Promise.race([vm.exited, delay(60_000).then(() => 'still running')]);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(await vm.serial()).toMatch(/reboot: Power down/);
    // The guest's wipefs and zeroing reached the VM's disk: no partition table any more.
    const head = Buffer.alloc(1024 * 1024);
    const written = await open(disk, 'r');
    await written.read(head, 0, head.length, 0);
    await written.close();
    expect(head.every((byte) => byte === 0)).toBe(true);
  }, 600_000);

  it('boots from virtual media: agent.json of the INGOT-BOOT CD with its kernel_params', async () => {
    vm?.kill();
    await ironic?.stop();
    const server = await new FakeIronic({
      nodeUuid: 'a1b2c3d4-0000-4000-8000-000000000001',
    }).start();
    ironic = server;
    const apiPort = Number(new URL(server.url).port);
    const agentPort = await freePort();
    const media = join(dir, 'media');
    await mkdir(join(media, 'ingot'), { recursive: true });
    const config = {
      api_url: `http://${GUEST_HOST_ADDRESS}:${apiPort}`,
      node_uuid: server.nodeUuid,
      kernel_params: `ipa-advertise-host=127.0.0.1 ipa-advertise-port=${agentPort} ipa-enable-auto-tls=0`,
    };
    // Padded with spaces, as the image cache writes it.
    await writeFile(join(media, 'ingot/agent.json'), JSON.stringify(config).padEnd(4096, ' '));
    const iso = join(dir, 'boot.iso');
    execFileSync('xorriso', ['-as', 'mkisofs', '-quiet', '-V', 'INGOT-BOOT', '-o', iso, media], {
      stdio: 'pipe',
    });
    const disk = join(dir, 'vm.img');
    const file = await open(disk, 'w');
    await file.truncate(DISK_BYTES);
    await file.close();
    const accel = await chooseAccelerator(kernel);
    vm = startVm({
      kernel,
      initramfs,
      accel,
      append: 'console=ttyS0',
      memoryMiB: MEMORY_MIB,
      cpus: 1,
      mac: MAC,
      disk,
      cdrom: iso,
      serialLog: join(dir, 'media-serial.log'),
      guestForwards: [apiPort],
      hostForward: { host: agentPort, guest: 9999 },
    });
    await until(
      'the first heartbeat',
      () => server.heartbeats.length > 0,
      accel === 'kvm' ? 60_000 : 240_000,
    );
    expect(await vm.serial()).toMatch(/ingot-init: configuration from \/dev\/sr0/);
    expect(server.lookups[0]!.query.get('node_uuid')).toBe(server.nodeUuid);
    expect(server.heartbeats[0]!.body.callback_url).toBe(`http://127.0.0.1:${agentPort}`);
    const answer = await postCommand(
      `http://127.0.0.1:${agentPort}`,
      FAKE_TOKEN,
      'standby.power_off',
      {},
    );
    expect(answer.status).toBe(200);
    const exit = await Promise.race([vm.exited, delay(60_000).then(() => 'still running')]);
    expect(exit).toEqual({ code: 0, signal: null });
  }, 600_000);

  it('lets the guest reach only the forwarded address', async () => {
    vm?.kill();
    const server = await new FakeIronic().start();
    ironic = server;
    const apiPort = Number(new URL(server.url).port);
    // An /init placed over the ramdisk's (a second cpio archive overrides its files) that tries
    // the ways out of a user-mode network and prints what got through.
    const overlay = join(dir, 'overlay');
    await mkdir(overlay, { recursive: true });
    await writeFile(join(overlay, 'init'), netCheckInit(apiPort));
    await chmod(join(overlay, 'init'), 0o755);
    const cpio = execFileSync('sh', ['-c', 'echo init | cpio -o -H newc --quiet -R 0:0'], {
      cwd: overlay,
    });
    const combined = join(dir, 'net-check.initramfs');
    // The kernel takes a following archive only at a 4-byte boundary; zeros in between are skipped.
    const base = await readFile(initramfs);
    const padding = Buffer.alloc((4 - (base.length % 4)) % 4);
    await writeFile(combined, Buffer.concat([base, padding, cpio]));
    const disk = join(dir, 'net.img');
    await (await open(disk, 'w')).close();

    vm = startVm({
      kernel,
      initramfs: combined,
      accel: await chooseAccelerator(kernel),
      append: 'console=ttyS0',
      memoryMiB: MEMORY_MIB,
      cpus: 1,
      mac: MAC,
      disk,
      serialLog: join(dir, 'net-serial.log'),
      guestForwards: [apiPort],
      hostForward: { host: await freePort(), guest: 9999 },
    });
    const exit = await Promise.race([vm.exited, delay(180_000).then(() => 'still running')]);
    const serial = await vm.serial();
    expect(exit, serial.slice(-3000)).toEqual({ code: 0, signal: null });
    const results = Object.fromEntries(
      [...serial.matchAll(/^net-check: (\S+) (reached|blocked)/gm)].map((m) => [m[1], m[2]]),
    );
    process.stdout.write(`guest network checks: ${JSON.stringify(results)}\n`);
    expect(results).toEqual({
      'forwarded-api': 'reached',
      'forwarded-api-tcp': 'reached',
      'host-loopback-via-gateway': 'blocked',
      'gateway-ssh': 'blocked',
      'dns-server': 'blocked',
      'other-port-of-forwarded-address': 'blocked',
      'outside-address': 'blocked',
    });
  }, 600_000);
});

/** busybox sh: DHCP, then one connection attempt per way out, then power off. */
function netCheckInit(apiPort: number): string {
  return `#!/bin/sh
export PATH=/usr/sbin:/usr/bin
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev
for m in $(cat /etc/ingot-modules); do modprobe -q "$m" 2>/dev/null; done
sleep 1
for n in /sys/class/net/*; do ip link set "\${n##*/}" up; done
udhcpc -i eth0 -s /usr/share/udhcpc/default.script -q -t 10 -T 1 -n
check() { name=$1; shift; if timeout 5 "$@" >/dev/null 2>&1; then echo "net-check: $name reached"; else echo "net-check: $name blocked"; fi; }
check forwarded-api wget -q -O /dev/null http://${GUEST_HOST_ADDRESS}:${apiPort}/
check forwarded-api-tcp nc -w 3 ${GUEST_HOST_ADDRESS} ${apiPort} </dev/null
check host-loopback-via-gateway wget -q -O /dev/null http://10.0.2.2:${apiPort}/
check gateway-ssh nc -w 3 10.0.2.2 22 </dev/null
check dns-server nslookup example.com 10.0.2.3
check other-port-of-forwarded-address nc -w 3 ${GUEST_HOST_ADDRESS} 80 </dev/null
check outside-address nc -w 3 192.0.2.1 80 </dev/null
sync
poweroff -f
`;
}
