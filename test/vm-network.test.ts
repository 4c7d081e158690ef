import { spawn } from 'node:child_process';
import { open, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildBusyboxInitramfs,
  chooseAccelerator,
  findDebianKernel,
  freePort,
  stablePort,
  qemuArguments,
  scratchDir,
} from '@ingot/lab';

/**
 * The guest's view of the VM lab's network, tested from inside a guest: it reaches this machine's
 * services at 10.0.2.100:<forwarded port> and nothing else, even with a default route it adds
 * itself — not the host's other loopback ports through the slirp gateway 10.0.2.2, not slirp's
 * DNS at 10.0.2.3, not an outside address.
 */
describe('VM lab network', () => {
  let scratch: Awaited<ReturnType<typeof scratchDir>>;
  const servers: Server[] = [];
  const hits = { forwarded: 0, other: 0 };

  const listen = async (port: number, onHit: () => void) => {
    const server = createServer((_req, res) => {
      onHit();
      res.end('INGOT-FORWARDED-SERVICE\n');
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    servers.push(server);
  };

  beforeAll(async () => {
    scratch = await scratchDir();
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    await scratch?.remove();
  });

  it('a guest reaches only 10.0.2.100:<forwarded port>: no default route, no DNS, no other host port', async () => {
    const forwarded = await freePort();
    const other = await freePort();
    await listen(forwarded, () => hits.forwarded++);
    await listen(other, () => hits.other++);
    const kernel = await findDebianKernel();
    const initrd = join(scratch.path, 'netcheck.cpio.gz');
    await buildBusyboxInitramfs(
      { kernel, modules: ['virtio_pci', 'virtio_net'], script: netcheck(forwarded, other) },
      initrd,
    );
    const disk = join(scratch.path, 'disk.img');
    await (await open(disk, 'w')).close();
    const consoleLog = join(scratch.path, 'console.log');
    const { accelerator } = await chooseAccelerator();
    const qemu = spawn(
      'qemu-system-x86_64',
      qemuArguments({
        name: 'netcheck',
        uuid: '00000000-0000-4000-8000-000000000001',
        accelerator,
        cpus: 1,
        memoryMb: 256,
        firmware: { kind: 'bios' },
        disk,
        bootFrom: 'disk',
        network: {
          mac: '52:54:00:ff:00:01',
          forwardedPorts: [forwarded],
          agentHostPort: await stablePort(),
          agentGuestPort: 9999,
        },
        consoleLog,
        qmpSocket: join(scratch.path, 'qmp.sock'),
        kernel: { image: kernel.image, initrd, append: 'console=ttyS0 quiet' },
      }),
      { stdio: 'ignore' },
    );
    const exited = new Promise((resolve) => qemu.on('exit', resolve));
    const timer = setTimeout(() => qemu.kill('SIGKILL'), 150_000);
    await exited;
    clearTimeout(timer);
    const console = await readFile(consoleLog, 'utf8');
    const report = console
      .split('\n')
      .map((l) => l.trimEnd())
      .filter((l) => l.startsWith('NETCHECK'));
    expect(report, console).toContain('NETCHECK END');
    expect(report).toContain('NETCHECK default-route none');
    expect(report).toContain('NETCHECK dns-servers none');
    expect(report).toContain(`NETCHECK 10.0.2.100:${forwarded} open`);
    expect(report).toContain('NETCHECK http 10.0.2.100 INGOT-FORWARDED-SERVICE');
    expect(report).toContain(`NETCHECK 10.0.2.2:${other} closed`);
    expect(report).toContain(`NETCHECK 10.0.2.2:${forwarded} closed`);
    expect(report).toContain('NETCHECK 10.0.2.3:53 closed');
    expect(report).toContain('NETCHECK dns-lookup fails');
    expect(report).toContain('NETCHECK 192.0.2.1:80 closed');
    expect(hits.forwarded).toBeGreaterThan(0);
    expect(hits.other).toBe(0);
  }, 180_000);
});

/** /init of the guest: DHCP as the agent ramdisk does, then one line per check. */
function netcheck(forwarded: number, other: number): string {
  return `
ip link set lo up
ip link set eth0 up
cat > /bin/dhcp-event <<'EOS'
#!/bin/sh
[ "$1" = bound ] || exit 0
ip addr add $ip/\${mask:-24} dev $interface
[ -n "$router" ] && ip route add default via \${router%% *}
for d in $dns; do echo "nameserver $d" >> /etc/resolv.conf; done
exit 0
EOS
chmod +x /bin/dhcp-event
udhcpc -i eth0 -q -n -t 10 -s /bin/dhcp-event
ip route | grep -q '^default' && echo "NETCHECK default-route $(ip route | grep '^default')" || echo "NETCHECK default-route none"
grep -q nameserver /etc/resolv.conf 2>/dev/null && echo "NETCHECK dns-servers $(grep nameserver /etc/resolv.conf)" || echo "NETCHECK dns-servers none"
# A route of the guest's own making must not help it out.
ip route add default via 10.0.2.2 dev eth0
probe() { if echo | timeout 6 nc -w 4 $1 $2 >/dev/null 2>&1; then echo "NETCHECK $1:$2 open"; else echo "NETCHECK $1:$2 closed"; fi; }
probe 10.0.2.100 ${forwarded}
probe 10.0.2.2 ${other}
probe 10.0.2.2 ${forwarded}
probe 10.0.2.3 53
probe 192.0.2.1 80
timeout 8 nslookup example.com 10.0.2.3 >/dev/null 2>&1 && echo "NETCHECK dns-lookup works" || echo "NETCHECK dns-lookup fails"
echo "NETCHECK http 10.0.2.100 $(timeout 10 wget -q -O - http://10.0.2.100:${forwarded}/)"
echo "NETCHECK END"
poweroff -f
`;
}
