// The README's main command: start Ingot's services and a lab of simulated servers, then take every
// server through its whole lifecycle over the REST API, printing each transition as it happens:
// enroll → manageable → inspected → cleaned → available → active (image + config drive written by
// the real agent) → deleted → cleaned → available.
import { parseArgs } from 'node:util';
import { Bus } from '@ingot/bus';
import type { Node, NodeEvent } from '@ingot/contracts';
import { startFleet, type LabServer } from './fleet.js';
import { Installation } from './installation.js';
import { ImageOrigin, makeTestImage, scratchDir } from './sample-image.js';
import { ServerHost } from './server-host.js';
import { buildMarkerOsImage, MARKER } from './vm/marker-os.js';
import { VmHost } from './vm/vm-host.js';
import {
  ensureAgentRamdisk,
  VM_MACHINE_FACING_HOST,
  vmInstallationEnv,
  vmNodeFields,
  vmPxeBootfile,
} from './vm/vm-lab.js';
import { waitFor } from './wait-for.js';

const { values: args } = parseArgs({
  options: {
    servers: { type: 'string', default: '5' },
    // Each server a QEMU VM booting the real agent ramdisk, instead of the agent as a process.
    vms: { type: 'string' },
    keep: { type: 'boolean', default: false },
    'boot-delay-ms': { type: 'string', default: '0' },
  },
});
const vms = args.vms !== undefined;
const count = Number(args.vms ?? args.servers);
if (!Number.isInteger(count) || count < 1 || count > (vms ? 8 : 200)) {
  console.error(
    vms
      ? `--vms must be an integer between 1 and 8, got "${args.vms}"`
      : `--servers must be an integer between 1 and 200, got "${args.servers}"`,
  );
  process.exit(2);
}
const bootDelayMs = Number(args['boot-delay-ms']);
if (!Number.isInteger(bootDelayMs) || bootDelayMs < 0 || bootDelayMs > 600_000) {
  console.error(
    `--boot-delay-ms must be an integer between 0 and 600000, got "${args['boot-delay-ms']}"`,
  );
  process.exit(2);
}

const started = Date.now();
const stamp = () => `+${((Date.now() - started) / 1000).toFixed(2).padStart(6)}s`;
const say = (line: string) => console.log(`${stamp()}  ${line}`);

const scratch = await scratchDir();
let image: { qcow2Path: string; qcow2Sha256: string };
if (vms) {
  say('building a bootable qcow2 image (GRUB EFI, Debian kernel, busybox) that prints a marker');
  const os = await buildMarkerOsImage(scratch.path);
  image = { qcow2Path: os.qcow2, qcow2Sha256: os.qcow2Sha256 };
} else {
  say(`making a small qcow2 whole-disk image and serving it on 127.0.0.1`);
  image = await makeTestImage(scratch.path);
}
const origin = await ImageOrigin.start({ '/images/demo.qcow2': image.qcow2Path });
const ramdisk = vms ? await ensureAgentRamdisk(say) : undefined;
say(
  vms
    ? `starting a lab of ${count} QEMU VMs behind Redfish BMCs on 127.0.0.1`
    : `starting a lab of ${count} simulated servers (Redfish BMCs on 127.0.0.1, sparse-file disks)`,
);
const fleet = await startFleet({ count, powerDelayMs: 200 });
say(
  'starting Ingot: api, conductor, power worker, image cache, inspector (fresh database and bus prefix)',
);
const ingot = await Installation.create(
  {
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    INGOT_AGENT_HEARTBEAT_TIMEOUT_S: vms ? '60' : '10',
    ...(ramdisk ? vmInstallationEnv(ramdisk) : {}),
  },
  undefined,
  vms ? { machineFacingHost: VM_MACHINE_FACING_HOST } : {},
);
const hosts: ServerHost[] = [];
const vmHosts: VmHost[] = [];
let failed = false;

try {
  await Promise.all(
    (['power', 'conductor', 'imagecache', 'inspector', 'api'] as const).map((kind) =>
      ingot.startService(kind),
    ),
  );
  say(`API listening on ${ingot.apiUrl} (Ironic-compatible /v1)`);
  const names = new Map<string, string>();
  const cachePort = await ingot.servicePort('imagecache');
  for (const server of vms ? fleet.servers : []) {
    const host = await VmHost.create(server, {
      workDir: ingot.workDir,
      servicePorts: [ingot.apiPort, cachePort],
      pxeBootfile: vmPxeBootfile(cachePort),
      cpus: 2,
      memoryMb: 1536,
      diskBytes: 4 * 1024 ** 3,
      log: say,
    });
    vmHosts.push(host);
  }
  for (const server of vms ? [] : fleet.servers) {
    const host = await ServerHost.create(server, { workDir: ingot.workDir, bootDelayMs });
    host.on('agent-listening', ({ port }) =>
      say(
        `${server.name.padEnd(14)} boots the agent ramdisk from virtual media (agent on :${port})`,
      ),
    );
    host.on('disk-boot', (report) => {
      const drive = report.configDrive;
      const found = drive
        ? `config drive for ${String(drive.metaData.hostname)}, user data ${JSON.stringify(drive.userData?.split('\n')[1] ?? '')}`
        : (report.problem ?? 'nothing');
      say(
        `${server.name.padEnd(14)} boots from disk: ${report.label ?? 'no'} partition table, ${report.partitions.length} partitions, ${found}`,
      );
    });
    hosts.push(host);
  }

  const bus = await Bus.connect({ prefix: ingot.prefix, name: 'ingot-demo' });
  bus.subscribeCore(bus.subjects.nodeEvents(), (event) => {
    const e = event as NodeEvent;
    if (e.type === 'boot_device_changed') return;
    const name = (names.get(e.node_uuid) ?? e.node_uuid).padEnd(14);
    if (e.type === 'maintenance_changed') {
      say(`${name} maintenance ${e.maintenance ? `on: ${e.reason ?? ''}` : 'off'}`);
      return;
    }
    const error = e.last_error ? `   last_error: ${e.last_error}` : '';
    const kind = e.type === 'provision_state_changed' ? 'provision' : 'power    ';
    say(`${name} ${kind}  ${e.from ?? 'unknown'} → ${e.to}${error}`);
  });

  const api = async (method: string, path: string, body?: unknown): Promise<Node> => {
    const res = await ingot.api<Node>(method, path, body);
    if (res.status >= 400) throw new Error(`${method} ${path}: HTTP ${res.status} ${res.text}`);
    return res.body;
  };
  const node = (server: LabServer) => api('GET', `/v1/nodes/${server.name}`);
  const untilAll = (what: string, ok: (n: Node) => boolean) =>
    waitFor(
      what,
      async () => (await Promise.all(fleet.servers.map(node))).every(ok),
      vms ? 900_000 : 180_000,
      250,
    );
  const verbAll = async (
    target: string,
    state: string,
    body: (s: LabServer) => object = () => ({}),
  ) => {
    say(`PUT /states/provision {"target": "${target}"} on every node`);
    for (const server of fleet.servers) {
      await api('PUT', `/v1/nodes/${server.name}/states/provision`, { target, ...body(server) });
    }
    await untilAll(
      `every node ${state}`,
      (n) => n.provision_state === state && !n.target_provision_state,
    );
  };

  for (const [i, server] of fleet.servers.entries()) {
    const vm = vmHosts[i];
    const created = await api(
      'POST',
      '/v1/nodes',
      vm
        ? vmNodeFields(server, vm)
        : { name: server.name, driver: 'redfish', driver_info: server.driverInfo },
    );
    if (vm)
      await ingot.api('POST', '/v1/ports', {
        node_uuid: created.uuid,
        address: server.macs[0],
        pxe_enabled: true,
      });
    names.set(created.uuid, server.name);
    say(
      `${server.name.padEnd(14)} enrolled  uuid ${created.uuid}  BMC ${server.url}  (password shown as ${String(created.driver_info.redfish_password)})`,
    );
  }
  await verbAll('manage', 'manageable');
  await verbAll('inspect', 'manageable');
  for (const server of fleet.servers) {
    const n = await node(server);
    say(`${server.name.padEnd(14)} inspected: ${JSON.stringify(n.properties)}`);
  }
  await verbAll('provide', 'available');
  say(
    `PATCH instance_info: image ${origin.url}/images/demo.qcow2 (qcow2, sha256 ${image.qcow2Sha256.slice(0, 12)}…)`,
  );
  for (const server of fleet.servers) {
    await api('PATCH', `/v1/nodes/${server.name}`, [
      { op: 'add', path: '/instance_info/image_source', value: `${origin.url}/images/demo.qcow2` },
      { op: 'add', path: '/instance_info/image_checksum', value: image.qcow2Sha256 },
      { op: 'add', path: '/instance_info/image_disk_format', value: 'qcow2' },
    ]);
  }
  await verbAll('active', 'active', (server) => ({
    configdrive: {
      meta_data: {
        hostname: server.name,
        uuid: [...names].find(([, n]) => n === server.name)?.[0],
      },
      user_data: `#cloud-config\nhostname: ${server.name}\n`,
    },
  }));
  for (const vm of vmHosts) {
    const line = await waitFor(
      `${vm.server.name} to print ${MARKER} on its console (${vm.consoleLog})`,
      async () => (await vm.consoleText()).split('\n').find((l) => l.includes(MARKER)),
      300_000,
      1_000,
    );
    say(`${vm.server.name.padEnd(14)} booted the deployed image; its console says: ${line.trim()}`);
  }
  say(
    `the image origin served ${origin.hits.get('/images/demo.qcow2') ?? 0} download(s) for ${count} deployments`,
  );
  await verbAll('deleted', 'available');

  console.log(
    `\n${'node'.padEnd(15)}${'provision'.padEnd(12)}${'power'.padEnd(11)}${'cpus'.padEnd(6)}${'memory_mb'.padEnd(11)}local_gb`,
  );
  for (const server of fleet.servers) {
    const n = await node(server);
    const p = n.properties as Record<string, unknown>;
    failed ||= n.provision_state !== 'available' || n.last_error !== null;
    console.log(
      `${server.name.padEnd(15)}${n.provision_state.padEnd(12)}${String(n.power_state).padEnd(11)}${String(p.cpus).padEnd(6)}${String(p.memory_mb).padEnd(11)}${String(p.local_gb)}`,
    );
  }
  console.log(
    failed
      ? '\nFAILED: some servers did not end available'
      : `\nOK: ${count} servers inspected, cleaned, deployed, undeployed and available again`,
  );
  await bus.close();

  if (args.keep && !failed) {
    say(`still running; try: curl -s ${ingot.apiUrl}/v1/nodes | jq   (Ctrl-C to stop)`);
    for (const vm of vmHosts)
      say(
        `${vm.server.name}: console: tail -f ${vm.consoleLog}   BMC: ${vm.server.url} (user ${vm.server.username}, password ${vm.server.password})`,
      );
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
  }
} catch (error) {
  failed = true;
  console.error(`\nFAILED: ${error instanceof Error ? error.message : String(error)}`);
  console.error('--- last service output ---');
  console.error(ingot.logs().slice(-4000));
  for (const host of hosts)
    console.error(`--- agent of ${host.server.name} ---\n${host.output().slice(-1500)}`);
  for (const vm of vmHosts) console.error(await vm.diagnosis(40));
} finally {
  await Promise.all(hosts.map((h) => h.stop()));
  await Promise.all(vmHosts.map((h) => h.stop()));
  await ingot.stop();
  await fleet.stop();
  await origin.close();
  await scratch.remove();
}
process.exit(failed ? 1 : 0);
