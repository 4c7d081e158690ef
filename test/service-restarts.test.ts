import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Installation,
  ServerHost,
  startFleet,
  startPrivateNats,
  startPrivatePostgres,
  waitFor,
  type Fleet,
  type PrivateServer,
  type ServiceName,
} from '@ingot/lab';
import { enroll, getNode, setProvision, waitForState } from './support/nodes.js';
import { ImageOrigin, makeTestImage, scratchDir, type TestImage } from './support/images.js';
import { expectDeployedDisk } from './support/deployed-disk.js';

const SERVERS = 10;
const ALL_SERVICES: ServiceName[] = ['power', 'conductor', 'imagecache', 'inspector', 'api'];
/** How long a killed service stays dead before it is started again. */
const DOWNTIME_MS = 1_500;

/**
 * Every installation of this file: frequent agent heartbeats, and automated cleaning disabled so
 * that `provide` takes a node from manageable to available without booting the agent (cleaning
 * is not what these tests are about, and each of them has to fit in well under a minute on two
 * cores; the lifecycle test covers cleaning).
 */
const BASE_ENV = {
  INGOT_AGENT_HEARTBEAT_TIMEOUT_S: '10',
  INGOT_AUTOMATED_CLEAN: 'disabled',
  LOG_LEVEL: 'info',
};

/** What the test sees of one server while it waits for the moment to kill. */
interface Probe {
  state: string;
  /** The agent ramdisk has booted on it (nothing else boots the agent in these tests). */
  agentBooted: boolean;
  cdInserted: boolean;
  powerOn: boolean;
}

/**
 * One case per service, two for the conductor, which owns the steps. `env` is the installation's
 * extra configuration: a command the killed process had taken but not acknowledged comes back
 * after the ack wait, so it is shortened where the service reads INGOT_ACK_WAIT_MS; a dead
 * conductor's nodes wait for its leases to expire, so the conductor cases shorten leases and
 * sweeps too. `killWhen` picks the moment to kill, which `moment` names.
 */
interface DeployCase {
  /** A service of the installation, or the NATS server or PostgreSQL cluster it runs on. */
  service: Exclude<ServiceName, 'inspector'> | Infrastructure;
  moment: string;
  env: Record<string, string>;
  /** Slower BMC answers widen the moments `killWhen` waits for, so that a poll sees them. */
  bmcDelayMs?: number;
  killWhen: (servers: Probe[]) => boolean;
}

/** Run by the test itself (private-infra.ts) so that it can restart them; SIGKILLed like the services. */
type Infrastructure = 'nats' | 'postgres';
const isInfrastructure = (service: string): service is Infrastructure =>
  service === 'nats' || service === 'postgres';

const count = (servers: Probe[], state: string) => servers.filter((s) => s.state === state).length;
const FAST_TAKEOVER = {
  INGOT_LEASE_TTL_MS: '3000',
  INGOT_SWEEP_INTERVAL_MS: '500',
  INGOT_ACK_WAIT_MS: '5000',
};

const DEPLOY_CASES: DeployCase[] = [
  {
    // Agents boot, look up and heartbeat against a dead API, and must retry until it is back.
    service: 'api',
    moment: 'as agents boot and call back',
    env: {},
    killWhen: (servers) => count(servers, 'wait call-back') >= 1,
  },
  {
    // Its leases expire; another conductor resumes the step of a node whose ramdisk is already
    // up, beside nodes waiting for their agent, which it drives on their heartbeats. Should the
    // poll miss that moment, once no node is left deploying.
    service: 'conductor',
    moment: 'as a booted node is still deploying',
    env: FAST_TAKEOVER,
    bmcDelayMs: 250,
    killWhen: (servers) =>
      servers.some((s) => s.state === 'deploying' && s.agentBooted) ||
      (count(servers, 'deploying') === 0 && count(servers, 'wait call-back') >= 1),
  },
  {
    // The image is written and the conductor is booting the node from its disk (ramdisk torn
    // down, CD ejected): a resumed step must finish the deploy, not write the image again.
    service: 'conductor',
    moment: 'as a written node boots from disk',
    env: FAST_TAKEOVER,
    bmcDelayMs: 250,
    killWhen: (servers) =>
      servers.some((s) => s.state === 'deploying' && s.agentBooted && !s.cdInserted),
  },
  {
    // The image and boot ISO requests it had taken come back to the restarted cache, which
    // keeps its files and its port (agents and BMCs hold its URLs).
    service: 'imagecache',
    moment: 'as it fetches the image',
    env: { INGOT_ACK_WAIT_MS: '5000' },
    killWhen: (servers) => count(servers, 'deploying') >= 1,
  },
  {
    // A node's CD is in, its boot device and power are next: the BMC commands the dead worker
    // had taken come back to the restarted one. Should the poll miss that moment, while most
    // nodes wait for their agent.
    service: 'power',
    moment: 'as it attaches media and powers on',
    env: { INGOT_ACK_WAIT_MS: '5000' },
    bmcDelayMs: 250,
    killWhen: (servers) =>
      servers.some((s) => s.state === 'deploying' && s.cdInserted && !s.powerOn) ||
      count(servers, 'wait call-back') >= SERVERS / 2,
  },
  {
    // Every service loses its bus connection: publishes (outbox relays, BMC and image commands,
    // replies) fail or wait until it is back; JetStream keeps the streams on disk.
    service: 'nats',
    moment: 'as nodes deploy and agents call back',
    env: { INGOT_ACK_WAIT_MS: '5000' },
    bmcDelayMs: 250,
    killWhen: (servers) =>
      servers.some((s) => s.state === 'deploying' && s.agentBooted) ||
      count(servers, 'wait call-back') >= 2,
  },
  {
    // Every service loses its database connections, mid-transaction for some: nothing committed
    // is lost, nothing half-written is kept, and the outbox drains once it is back.
    service: 'postgres',
    moment: 'as nodes deploy and agents call back',
    env: { INGOT_ACK_WAIT_MS: '5000' },
    bmcDelayMs: 250,
    killWhen: (servers) =>
      servers.some((s) => s.state === 'deploying' && s.agentBooted) ||
      count(servers, 'wait call-back') >= 2,
  },
];

/** A lab of ten servers, each with the real agent, and an installation of its own. */
class Lab {
  /** Output of each finished agent run, per server (the host keeps only the current run's). */
  private readonly agentLogs: string[][] = [];
  private readonly runningAgent: (() => boolean)[] = [];
  private readonly agentBoots: number[] = [];

  private constructor(
    readonly system: Installation,
    readonly fleet: Fleet,
    readonly hosts: ServerHost[],
    private readonly infrastructure: Partial<Record<Infrastructure, PrivateServer>>,
  ) {
    hosts.forEach((host, i) => {
      const logs: string[] = [];
      this.agentLogs[i] = logs;
      let running = 0;
      this.agentBoots[i] = 0;
      host.on('agent-started', () => {
        running++;
        this.agentBoots[i]!++;
      });
      host.on('agent-exited', ({ code, signal, output }) => {
        // A lab host error (neither code nor signal) repeats the output of the running agent.
        if (code === null && signal === null) return;
        running--;
        logs.push(output);
      });
      this.runningAgent[i] = () => running > 0;
    });
  }

  /** `own`: the NATS server or PostgreSQL cluster this lab runs on a server of its own. */
  static async start(
    env: Record<string, string>,
    bmcDelayMs = 0,
    own?: Infrastructure,
  ): Promise<Lab> {
    const fleet = await startFleet({
      count: SERVERS,
      powerDelayMs: 100,
      responseDelayMs: bmcDelayMs,
    });
    let system: Installation | undefined;
    const infrastructure: Partial<Record<Infrastructure, PrivateServer>> = {};
    try {
      if (own === 'nats') infrastructure.nats = await startPrivateNats();
      if (own === 'postgres') infrastructure.postgres = await startPrivatePostgres();
      const created = await Installation.create({ ...BASE_ENV, ...env }, undefined, {
        natsUrl: infrastructure.nats?.url,
        databaseUrl: infrastructure.postgres?.url,
      });
      system = created;
      await Promise.all(ALL_SERVICES.map((kind) => created.startService(kind)));
      const hosts = await Promise.all(
        fleet.servers.map((server) => ServerHost.create(server, { workDir: created.workDir })),
      );
      return new Lab(system, fleet, hosts, infrastructure);
    } catch (error) {
      await system?.stop();
      await fleet.stop();
      for (const server of Object.values(infrastructure)) await server.stop();
      throw error;
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.hosts.map((h) => h.stop()));
    await this.system.stop();
    await this.fleet.stop();
    for (const server of Object.values(this.infrastructure)) await server.stop();
  }

  /** Everything every agent run of server i printed, oldest run first. */
  agentLog(i: number): string {
    const current = this.runningAgent[i]!() ? this.hosts[i]!.output() : '';
    return this.agentLogs[i]!.join('') + current;
  }

  /** The agent's JSON log lines of server i, over every boot of its ramdisk. */
  agentLines(i: number): Record<string, unknown>[] {
    return this.agentLog(i)
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
  }

  async history(uuid: string): Promise<any[]> {
    const res = await this.system.api('GET', `/v1/nodes/${uuid}/history`);
    expect(res.status, res.text).toBe(200);
    return res.body.history as any[];
  }

  /** What to print when server i does not end where it should. */
  async diagnose(i: number, uuid: string): Promise<string> {
    const history = await this.history(uuid).catch((e: Error) => [{ event: e.message }]);
    const logs = this.system
      .logs()
      .split('\n')
      .filter((line) => line.includes(uuid) || /"level":"(warn|error|fatal)"/.test(line))
      // Not the API's request lines (the test polls), but its refusals.
      .filter(
        (line) =>
          !line.includes('"msg":"incoming request"') &&
          !(line.includes('"msg":"request completed"') && !/"statusCode":[45]\d\d/.test(line)),
      )
      .slice(-40)
      .join('\n');
    return (
      `\nhistory:\n${history.map((h) => `  ${h.created_at} ${h.conductor ?? ''} ${h.from_state ?? ''} → ${h.to_state ?? ''} ${h.event}`).join('\n')}` +
      `\nservice logs (the node's lines, warnings and errors):\n${logs}` +
      `\nagent output:\n${this.agentLog(i).slice(-3000)}`
    );
  }

  /** Runs the checks of server i; a failure gets the server's diagnosis appended. */
  async check(i: number, uuid: string, checks: () => Promise<void>): Promise<void> {
    try {
      await checks();
    } catch (error) {
      if (error instanceof Error)
        error.message += `\n${this.fleet.servers[i]!.name}${await this.diagnose(i, uuid)}`;
      throw error;
    }
  }

  /** How many times the agent ramdisk booted on server i. */
  agentBootCount(i: number): number {
    return this.agentBoots[i]!;
  }

  /** Waits for every node to rest in `state`, with a diagnosis of each one that does not. */
  async allReach(uuids: string[], state: string, timeoutMs: number) {
    return Promise.all(
      uuids.map((uuid, i) =>
        waitForState(this.system, uuid, state, timeoutMs).catch(async (e: Error) => {
          const node = await getNode(this.system, uuid).catch(() => undefined);
          throw new Error(
            `${this.fleet.servers[i]!.name}: ${e.message} (it is '${node?.provision_state}' → ${node?.target_provision_state}, last_error ${node?.last_error}, reservation ${node?.reservation})${await this.diagnose(i, uuid)}`,
          );
        }),
      ),
    );
  }

  /** Polls the nodes and their servers until `when` holds, and returns what it saw. */
  waitForMoment(uuids: string[], what: string, when: (servers: Probe[]) => boolean) {
    return waitFor(
      what,
      async () => {
        const nodes = await Promise.all(uuids.map((uuid) => getNode(this.system, uuid)));
        const probes = nodes.map((node, i): Probe => ({
          state: node.provision_state as string,
          agentBooted: this.agentBoots[i]! > 0,
          cdInserted: this.fleet.servers[i]!.bmc.state.media.Cd.inserted,
          powerOn: this.fleet.servers[i]!.bmc.state.power === 'On',
        }));
        return when(probes) ? probes : undefined;
      },
      30_000,
      25,
    );
  }

  /** SIGKILLs the service, leaves it dead for a moment, and starts it again under its name. */
  async killAndRestart(service: ServiceName | Infrastructure): Promise<void> {
    if (isInfrastructure(service)) {
      await this.infrastructure[service]!.restart('SIGKILL', DOWNTIME_MS);
      return;
    }
    await this.system.kill(service, 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, DOWNTIME_MS));
    await this.system.startService(service, {}, service);
  }

  async expectLeasesReleased(uuids: string[]): Promise<void> {
    await waitFor(
      'every lease released',
      async () =>
        (await Promise.all(uuids.map((uuid) => getNode(this.system, uuid)))).every(
          (n) => n.reservation === null,
        ),
      5_000,
    );
  }
}

describe('a service SIGKILLed and restarted mid-operation: every node still gets there, once', () => {
  let origin: ImageOrigin;
  let image: TestImage;
  let scratch: Awaited<ReturnType<typeof scratchDir>>;

  beforeAll(async () => {
    scratch = await scratchDir();
    image = await makeTestImage(scratch.path);
    origin = await ImageOrigin.start({ '/images/test.qcow2': image.qcow2Path });
  }, 60_000);
  afterAll(async () => {
    await origin?.close();
    await scratch?.remove();
  });

  it.each(DEPLOY_CASES)(
    '$service SIGKILLed $moment: all 10 servers reach active, none stuck, none deployed twice',
    async ({ service, env, bmcDelayMs, killWhen }) => {
      const lab = await Lab.start(env, bmcDelayMs, isInfrastructure(service) ? service : undefined);
      try {
        const { system, fleet } = lab;
        const uuids = await Promise.all(fleet.servers.map((server) => enroll(system, server)));
        await Promise.all(uuids.map((uuid) => setProvision(system, uuid, 'manage')));
        await lab.allReach(uuids, 'manageable', 20_000);
        await Promise.all(uuids.map((uuid) => setProvision(system, uuid, 'provide')));
        await lab.allReach(uuids, 'available', 20_000);

        await Promise.all(
          fleet.servers.map(async (server, i) => {
            const patch = await system.api('PATCH', `/v1/nodes/${uuids[i]}`, [
              {
                op: 'add',
                path: '/instance_info/image_source',
                value: `${origin.url}/images/test.qcow2`,
              },
              { op: 'add', path: '/instance_info/image_checksum', value: image.qcow2Sha256 },
              { op: 'add', path: '/instance_info/image_disk_format', value: 'qcow2' },
            ]);
            expect(patch.status, patch.text).toBe(200);
            const res = await system.api('PUT', `/v1/nodes/${uuids[i]}/states/provision`, {
              target: 'active',
              configdrive: {
                meta_data: { hostname: server.name },
                user_data: `#cloud-config\nhostname: ${server.name}\n`,
              },
            });
            expect(res.status, res.text).toBe(202);
          }),
        );

        const seen = await lab.waitForMoment(uuids, `the moment to kill ${service}`, killWhen);
        await lab.killAndRestart(service);
        // It was mid-deploy: some nodes were in the middle of it, none had failed.
        const states = seen.map((s) => s.state);
        expect(
          states.some((s) => s === 'deploying' || s === 'wait call-back'),
          JSON.stringify(seen),
        ).toBe(true);
        expect(
          states.every((s) => ['available', 'deploying', 'wait call-back', 'active'].includes(s)),
          JSON.stringify(seen),
        ).toBe(true);

        const nodes = await lab.allReach(uuids, 'active', 45_000);
        await lab.expectLeasesReleased(uuids);

        await Promise.all(
          fleet.servers.map((server, i) =>
            lab.check(i, uuids[i]!, async () => {
              expect(nodes[i]!.last_error).toBeNull();
              // The deploy step ran once: one start and one end in the history...
              const history = await lab.history(uuids[i]!);
              const events = history.map((h) => h.event as string);
              expect(events.filter((e) => e === 'deploy step write_image started')).toHaveLength(1);
              expect(events.filter((e) => e === 'deploy step write_image finished')).toHaveLength(
                1,
              );
              const activated = history.filter((h) => h.to_state === 'active');
              expect(activated).toHaveLength(1);
              if (service === 'conductor' && seen[i]!.state !== 'active') {
                // The deploy the dead conductor started was finished by another one.
                const begun = history.find((h) => h.to_state === 'deploying');
                expect(activated[0].conductor).not.toBe(begun.conductor);
              }
              // ...and the agents (every boot of the ramdisk) wrote the image once.
              const lines = lab.agentLines(i);
              const steps = lines.filter((l) => l.msg === 'deploy step started');
              expect(steps.map((l) => l.step)).toEqual(['write_image']);
              expect(lines.filter((l) => l.msg === 'image written')).toHaveLength(1);

              // The disk holds the image's bytes and the node's config drive; it boots from it.
              await expectDeployedDisk(lab.hosts[i]!.disks['/dev/sda']!, image, server.name);
              expect(server.bmc.state.power).toBe('On');
              expect(server.bmc.state.boot.target).toBe('Hdd');
              expect(server.bmc.state.media.Cd.inserted).toBe(false);
            }),
          ),
        );
      } finally {
        await lab.stop();
      }
    },
    90_000,
  );

  it('inspector SIGKILLed as agents post inventories: all 10 servers end manageable with their properties, inspected once', async () => {
    const lab = await Lab.start({});
    try {
      const { system, fleet } = lab;
      const uuids = await Promise.all(fleet.servers.map((server) => enroll(system, server)));
      await Promise.all(uuids.map((uuid) => setProvision(system, uuid, 'manage')));
      await lab.allReach(uuids, 'manageable', 20_000);
      await Promise.all(uuids.map((uuid) => setProvision(system, uuid, 'inspect')));

      // The first node waits for its inventory: the other agents boot and post theirs while the
      // inspector is dead, and those wait in the bus for the restarted one.
      const seen = await lab.waitForMoment(
        uuids,
        'the moment to kill the inspector',
        (servers) => count(servers, 'inspect wait') >= 1,
      );
      await lab.killAndRestart('inspector');
      expect(
        seen.map((s) => s.state),
        JSON.stringify(seen),
      ).not.toContain('manageable');

      const nodes = await lab.allReach(uuids, 'manageable', 45_000);
      await lab.expectLeasesReleased(uuids);
      await Promise.all(
        fleet.servers.map((server, i) =>
          lab.check(i, uuids[i]!, async () => {
            const node = nodes[i]!;
            expect(node.last_error).toBeNull();
            expect(node.properties).toMatchObject({
              cpus: server.profile.cpus,
              memory_mb: server.profile.memory_mb,
              cpu_arch: 'x86_64',
              local_gb: 63,
            });
            const inventory = await system.api('GET', `/v1/nodes/${uuids[i]}/inventory`);
            expect(inventory.status, inventory.text).toBe(200);
            const macs = inventory.body.inventory.interfaces.map((n: any) => n.mac_address);
            expect(macs.sort()).toEqual([...server.macs].sort());
            // Inspected once: one ramdisk boot, one result.
            expect(lab.agentBootCount(i)).toBe(1);
            const history = await lab.history(uuids[i]!);
            expect(history.filter((h) => h.event === 'inspection finished')).toHaveLength(1);
            expect(server.bmc.state.power).toBe('Off');
            expect(server.bmc.state.media.Cd.inserted).toBe(false);
          }),
        ),
      );
    } finally {
      await lab.stop();
    }
  }, 90_000);
});
