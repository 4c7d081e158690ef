import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet, Installation, ServerHost, waitFor } from '@ingot/lab';
import { ImageOrigin, makeTestImage, scratchDir, type TestImage } from './support/images.js';
import { OtlpReceiver, SPAN_KIND, type ReceivedSpan } from './support/otlp-receiver.js';
import { enroll, setProvision, waitForPower, waitForState } from './support/nodes.js';

describe('one trace across the services', () => {
  let system: Installation;
  let fleet: Fleet;
  let receiver: OtlpReceiver;
  let scratch: Awaited<ReturnType<typeof scratchDir>>;
  let image: TestImage;
  let origin: ImageOrigin;
  const hosts: ServerHost[] = [];

  beforeAll(async () => {
    scratch = await scratchDir();
    image = await makeTestImage(scratch.path);
    origin = await ImageOrigin.start({
      '/images/test.qcow2': image.qcow2Path,
      '/images/slow.qcow2': image.qcow2Path,
    });
    fleet = await startFleet({ count: 3, powerDelayMs: 100 });
    receiver = await OtlpReceiver.start();
    system = await Installation.start({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      INGOT_AGENT_HEARTBEAT_TIMEOUT_S: '10',
      // A slow image is waited for across sweeps (and conductors).
      INGOT_IMAGE_PREPARE_ANSWER_MS: '500',
      INGOT_SWEEP_INTERVAL_MS: '500',
    });
  }, 120_000);
  afterAll(async () => {
    await Promise.all(hosts.map((h) => h.stop()));
    await system?.stop();
    await fleet?.stop();
    await receiver?.close();
    await origin?.close();
    await scratch?.remove();
  });

  /** Enrolls a lab server with the real agent, cleans it, and gives it an image to deploy. */
  const availableWithImage = async (server: Fleet['servers'][number], path: string) => {
    hosts.push(await ServerHost.create(server, { workDir: system.workDir }));
    const uuid = await enroll(system, server);
    await setProvision(system, uuid, 'manage');
    await waitForState(system, uuid, 'manageable');
    await setProvision(system, uuid, 'provide');
    await waitForState(system, uuid, 'available', 90_000);
    const patch = await system.api('PATCH', `/v1/nodes/${uuid}`, [
      { op: 'add', path: '/instance_info/image_source', value: `${origin.url}${path}` },
      { op: 'add', path: '/instance_info/image_checksum', value: image.qcow2Sha256 },
      { op: 'add', path: '/instance_info/image_disk_format', value: 'qcow2' },
    ]);
    expect(patch.status, patch.text).toBe(200);
    return uuid;
  };

  /** The spans of a trace once it is whole: no parent missing, and `done` says it is far enough. */
  const wholeTrace = (
    traceId: string,
    callerSpanId: string,
    what: string,
    done: (spans: ReceivedSpan[]) => boolean,
  ) =>
    waitFor(what, async () => {
      const inTrace = receiver.spans.filter((s) => s.traceId === traceId);
      // Children end (and are exported) before their parents: whole when no parent is missing.
      const ids = new Set([callerSpanId, ...inTrace.map((s) => s.spanId)]);
      return inTrace.every((s) => ids.has(s.parentSpanId)) && done(inTrace) ? inTrace : undefined;
    });

  it('the API request, the conductor handling it and the power worker’s Redfish call share one trace id', async () => {
    const server = fleet.servers[0]!;
    const uuid = await enroll(system, server);
    await setProvision(system, uuid, 'manage');
    await waitForState(system, uuid, 'manageable');

    const traceId = randomBytes(16).toString('hex');
    const res = await system.api(
      'PUT',
      `/v1/nodes/${uuid}/states/power`,
      { target: 'power on' },
      { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
    );
    expect(res.status).toBe(202);
    await waitForPower(system, uuid, 'power on');

    const spans = await waitFor('spans of all three services in the trace', async () => {
      const inTrace = receiver.spans.filter((s) => s.traceId === traceId);
      const services = new Set(inTrace.map((s) => s.service));
      const redfish = inTrace.some((s) => s.service === 'ingot-power' && /redfish/i.test(s.name));
      return ['ingot-api', 'ingot-conductor', 'ingot-power'].every((s) => services.has(s)) &&
        redfish
        ? inTrace
        : undefined;
    });
    const reset = spans.find(
      (s) => s.service === 'ingot-power' && /ComputerSystem\.Reset/.test(s.name),
    );
    expect(reset, `spans: ${spans.map((s) => `${s.service}:${s.name}`).join(', ')}`).toBeDefined();
    expect(String(reset!.attributes['url.full'] ?? '')).not.toMatch(/@/); // no credentials in URLs
  });

  it('one deploy through the real agent is one trace: api → conductor → power → imagecache → agent, with its wait', async () => {
    const server = fleet.servers[1]!;
    const uuid = await availableWithImage(server, '/images/test.qcow2');

    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    const res = await system.api(
      'PUT',
      `/v1/nodes/${uuid}/states/provision`,
      { target: 'active' },
      { traceparent: `00-${traceId}-${callerSpanId}-01` },
    );
    expect(res.status).toBe(202);
    await waitForState(system, uuid, 'active', 120_000);

    // The wait's span is recorded when the node leaves the wait, the last agent call just before.
    const spans = await wholeTrace(
      traceId,
      callerSpanId,
      'the deploy trace, down to its wait and the agent',
      (inTrace) =>
        inTrace.some((s) => s.name === 'node in wait call-back') &&
        inTrace.some((s) => s.name === 'agent command deploy.execute_deploy_step') &&
        inTrace.some((s) => s.service === 'ingot-power' && /ComputerSystem\.Reset/.test(s.name)),
    );
    const shown = spans.map((s) => `${s.service}:${s.name}`).join('\n  ');
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const parentOf = (span: ReceivedSpan) => byId.get(span.parentSpanId);
    /** The one span of that service, name and kind (the first if it recurs, e.g. polls). */
    const find = (service: string, name: string | RegExp, kind: number): ReceivedSpan => {
      const span = spans.find(
        (s) =>
          s.service === service &&
          s.kind === kind &&
          (typeof name === 'string' ? s.name === name : name.test(s.name)),
      );
      expect(span, `no ${service} span ${name} of kind ${kind} in:\n  ${shown}`).toBeDefined();
      return span!;
    };

    // api → conductor: the request, its outbox row published by the relay, the command consumed.
    const request = find('ingot-api', /^PUT \/v1\/nodes\/.+\/states\/provision$/, SPAN_KIND.server);
    expect(request.parentSpanId).toBe(callerSpanId);
    const accepted = find('ingot-api', 'UPDATE nodes (write)', SPAN_KIND.client);
    expect(accepted.parentSpanId).toBe(request.spanId);
    const toConductor = find('ingot-api', /^publish .+\.conductor$/, SPAN_KIND.producer);
    expect(toConductor.parentSpanId).toBe(request.spanId);
    const command = find('ingot-conductor', 'conductor command node.provision', SPAN_KIND.consumer);
    expect(command.parentSpanId).toBe(toConductor.spanId);
    expect(command.attributes).toMatchObject({
      'messaging.system': 'nats',
      'ingot.node.uuid': uuid,
      'ingot.node.provision_state': 'available', // as the task found it
      'ingot.site': 'default',
    });
    // The database: the node's lease taken in one (group-committed) statement, a child of the task.
    const lease = find('ingot-conductor', 'UPDATE nodes (take lease)', SPAN_KIND.client);
    expect(lease.parentSpanId).toBe(command.spanId);
    expect(lease.attributes).toMatchObject({
      'db.system.name': 'postgresql',
      'db.operation.batch.size': 1,
    });

    // conductor → imagecache: a request over the bus answered by the image cache's span.
    const prepare = find('ingot-conductor', 'image.prepare', SPAN_KIND.client);
    expect(prepare.attributes['ingot.node.uuid']).toBe(uuid);
    const prepared = find(
      'ingot-imagecache',
      'image cache command image.prepare',
      SPAN_KIND.consumer,
    );
    expect(parentOf(prepared)?.kind).toBe(SPAN_KIND.producer);
    expect(parentOf(parentOf(prepared)!)?.spanId).toBe(prepare.spanId);
    const download = find('ingot-imagecache', 'image download', SPAN_KIND.client);
    expect(download.parentSpanId).toBe(prepared.spanId);
    expect(download.attributes['ingot.image.sha256']).toBe(image.qcow2Sha256);
    expect(find('ingot-imagecache', 'image convert', SPAN_KIND.internal).parentSpanId).toBe(
      prepared.spanId,
    );
    const iso = find('ingot-imagecache', 'boot ISO build', SPAN_KIND.internal);
    expect(parentOf(iso)?.name).toBe('image cache command image.boot_iso');

    // conductor → power: BMC commands whose Redfish calls are client spans of the power worker.
    const bmcCommands = spans.filter(
      (s) => s.service === 'ingot-power' && s.kind === SPAN_KIND.consumer,
    );
    expect(bmcCommands.length, shown).toBeGreaterThan(0);
    const redfish = spans.filter(
      (s) => s.service === 'ingot-power' && s.name.startsWith('redfish '),
    );
    expect(redfish.map((s) => s.name)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^redfish POST .*VirtualMedia.*InsertMedia$/),
        expect.stringMatching(/^redfish POST .*ComputerSystem\.Reset$/),
      ]),
    );
    for (const call of redfish) {
      expect(call.kind).toBe(SPAN_KIND.client);
      expect(bmcCommands.map((c) => c.spanId)).toContain(call.parentSpanId);
      expect(call.attributes['http.request.method']).toMatch(/^(GET|POST|PATCH|DELETE)$/);
    }

    // The wait for the agent: its span begins when the node entered wait call-back (before the
    // ramdisk booted) and ends when the image was written; heartbeats continue the deploy's trace.
    const wait = find('ingot-conductor', 'node in wait call-back', SPAN_KIND.internal);
    expect(wait.attributes).toMatchObject({
      'ingot.node.uuid': uuid,
      'ingot.node.provision_state': 'wait call-back',
      'ingot.node.next_provision_state': 'deploying',
    });
    const writeImage = find(
      'ingot-conductor',
      'agent command deploy.execute_deploy_step',
      SPAN_KIND.client,
    );
    expect(writeImage.startMs).toBeGreaterThanOrEqual(wait.startMs);
    expect(wait.endMs).toBeGreaterThanOrEqual(writeImage.endMs);
    expect(byId.has(wait.parentSpanId), 'the wait hangs from the task that began it').toBe(true);
    expect(writeImage.attributes['url.full']).not.toMatch(/token/);
    const polls = spans.filter((s) => s.name === 'agent poll commands');
    expect(polls.length).toBeGreaterThan(0);
    // Each agent call runs under a heartbeat's task, linked to the heartbeat's own trace.
    const heartbeatTask = (span: ReceivedSpan): ReceivedSpan | undefined => {
      for (let s = parentOf(span); s; s = parentOf(s))
        if (s.name === 'heartbeat in wait call-back') return s;
      return undefined;
    };
    const heartbeats = [writeImage, ...polls].map(heartbeatTask);
    expect(heartbeats.every(Boolean), shown).toBe(true);
    for (const heartbeat of heartbeats) {
      expect(heartbeat!.links.length).toBe(1);
      expect(heartbeat!.links[0]!.traceId).not.toBe(traceId);
    }

    // Every service of the path, one trace id, and no span of the deploy left in another trace.
    expect(new Set(spans.map((s) => s.service))).toEqual(
      new Set(['ingot-api', 'ingot-conductor', 'ingot-power', 'ingot-imagecache']),
    );
    const deploySpansElsewhere = receiver.spans.filter(
      (s) =>
        s.traceId !== traceId &&
        (s.name.startsWith('agent command deploy.') ||
          s.name === 'image.prepare' ||
          s.name === 'node in wait call-back'),
    );
    expect(deploySpansElsewhere.map((s) => s.name)).toEqual([]);
  }, 240_000);

  it('a deploy that waits for its image, its conductor killed meanwhile, stays one trace with the wait as a span', async () => {
    const uuid = await availableWithImage(fleet.servers[2]!, '/images/slow.qcow2');
    const gate = origin.hold('/images/slow.qcow2');
    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    const res = await system.api(
      'PUT',
      `/v1/nodes/${uuid}/states/provision`,
      { target: 'active' },
      { traceparent: `00-${traceId}-${callerSpanId}-01` },
    );
    expect(res.status).toBe(202);
    // The node waits for its image holding no lease; its conductor dies meanwhile.
    await waitFor('the deploy to ask the image cache again', async () =>
      receiver.spans.some((s) => s.traceId === traceId && s.name === 'resume waiting for image'),
    );
    const killedAt = Date.now();
    await system.kill('conductor', 'SIGKILL');
    await system.startService('conductor', {}, 'conductor-2');
    const openedAt = Date.now();
    gate.open();
    await waitForState(system, uuid, 'active', 90_000);

    const spans = await wholeTrace(
      traceId,
      callerSpanId,
      'the deploy trace past its image wait',
      (inTrace) =>
        [
          'node waiting for image',
          'node in wait call-back',
          'agent command deploy.execute_deploy_step',
        ].every((name) => inTrace.some((s) => s.name === name)),
    );
    const shown = spans.map((s) => `${s.service}:${s.name}`).join('\n  ');
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const command = spans.find((s) => s.name === 'conductor command node.provision');
    expect(command, shown).toBeDefined();
    // The wait began in the first conductor's task and was ended by the second one.
    const wait = spans.find((s) => s.name === 'node waiting for image')!;
    expect(wait.service).toBe('ingot-conductor');
    expect(wait.kind).toBe(SPAN_KIND.internal);
    expect(wait.parentSpanId).toBe(command!.spanId);
    expect(wait.startMs).toBeLessThanOrEqual(killedAt);
    expect(wait.endMs).toBeGreaterThanOrEqual(openedAt);
    expect(wait.attributes).toMatchObject({
      'ingot.node.uuid': uuid,
      'ingot.node.provision_state': 'deploying',
    });
    expect(Number(wait.attributes['ingot.image.asks'])).toBeGreaterThan(0);
    // Each later ask is a sweep continuing the deploy's trace, from where the wait began.
    const asks = spans.filter((s) => s.name === 'resume waiting for image');
    expect(asks.length, shown).toBeGreaterThan(0);
    for (const ask of asks) expect(ask.parentSpanId).toBe(command!.spanId);
    expect(
      asks.some((ask) =>
        spans.some((s) => s.name === 'image.prepare' && s.parentSpanId === ask.spanId),
      ),
      shown,
    ).toBe(true);
    // And the deploy goes on in the same trace: the agent's wait and its commands.
    const agentWait = spans.find((s) => s.name === 'node in wait call-back')!;
    expect(agentWait.startMs).toBeGreaterThanOrEqual(wait.endMs);
    expect(byId.has(agentWait.parentSpanId)).toBe(true);
  }, 240_000);
});
