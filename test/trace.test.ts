import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet, Installation, waitFor } from '@ingot/lab';
import { OtlpReceiver } from './support/otlp-receiver.js';
import { enroll, setProvision, waitForPower, waitForState } from './support/nodes.js';

describe('one trace across the services', () => {
  let system: Installation;
  let fleet: Fleet;
  let receiver: OtlpReceiver;

  beforeAll(async () => {
    fleet = await startFleet({ count: 1 });
    receiver = await OtlpReceiver.start();
    system = await Installation.start({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    });
  });
  afterAll(async () => {
    await system?.stop();
    await fleet?.stop();
    await receiver?.close();
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
});
