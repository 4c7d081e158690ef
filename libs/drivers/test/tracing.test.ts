import { SpanKind, SpanStatusCode, propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDriverConnections, loadHardware } from '../src/index.js';
import { startStubBmc } from './stub-bmc.js';

const exporter = new InMemorySpanExporter();

beforeAll(() => {
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
  );
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
});
afterAll(async () => {
  trace.disable();
  propagation.disable();
  await closeDriverConnections();
});

describe('tracing', () => {
  it('wraps each BMC call in a client span and sends its traceparent to the BMC', async () => {
    const stub = await startStubBmc({ '/redfish/v1/Systems/1': { PowerState: 'On' } });
    try {
      const hardware = loadHardware({
        driver: 'redfish',
        nodeUuid: 'node-t',
        driverInfo: {
          redfish_address: stub.url,
          redfish_system_id: '/redfish/v1/Systems/1',
          redfish_username: 'admin',
          redfish_password: 'secret',
          redfish_auth_type: 'basic',
        },
      });
      expect(await hardware.power.getPowerState()).toBe('power on');
      const missing = loadHardware({
        driver: 'redfish',
        nodeUuid: 'node-t',
        driverInfo: { redfish_address: stub.url, redfish_system_id: '/redfish/v1/Systems/2' },
      });
      await expect(missing.power.getPowerState()).rejects.toThrow(/HTTP 404/);

      const [ok, failed] = exporter.getFinishedSpans();
      expect(ok?.name).toBe('redfish GET /redfish/v1/Systems/1');
      expect(ok?.kind).toBe(SpanKind.CLIENT);
      expect(ok?.instrumentationScope.name).toBe('ingot-drivers');
      expect(ok?.attributes).toMatchObject({
        'http.request.method': 'GET',
        'url.full': `${stub.url}/redfish/v1/Systems/1`,
        'server.address': '127.0.0.1',
        'http.response.status_code': 200,
      });
      const { traceId, spanId } = ok!.spanContext();
      expect(stub.requests[0]?.headers.traceparent).toBe(`00-${traceId}-${spanId}-01`);
      expect(failed?.status.code).toBe(SpanStatusCode.ERROR);
      expect(failed?.attributes['http.response.status_code']).toBe(404);
    } finally {
      await stub.stop();
    }
  });
});
