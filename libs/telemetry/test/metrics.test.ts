import { describe, expect, it } from 'vitest';
import { counter, gauge, histogram, metricsContentType, metricsText } from '../src/index.js';

describe('metrics', () => {
  it('collects default Node metrics with the ingot_ prefix', async () => {
    expect(await metricsText()).toContain('ingot_process_cpu_user_seconds_total');
  });

  it('returns the registered metric when declared twice', async () => {
    const first = counter('test_deploys_total', 'Deploys started', ['driver']);
    const again = counter('test_deploys_total', 'Deploys started', ['driver']);
    expect(again).toBe(first);
    again.inc({ driver: 'redfish' });
    expect(await metricsText()).toContain('test_deploys_total{driver="redfish"} 1');
  });

  it('declares gauges and histograms the same way', async () => {
    gauge('test_leases', 'Leases held').set(3);
    expect(gauge('test_leases', 'Leases held')).toBe(gauge('test_leases', 'Leases held'));
    histogram('test_bmc_seconds', 'BMC call time', ['op'], [0.1, 1]).observe({ op: 'power' }, 0.5);
    const text = await metricsText();
    expect(text).toContain('test_leases 3');
    expect(text).toContain('test_bmc_seconds_bucket{le="1",op="power"} 1');
  });

  it('refuses to hand out a metric of another type under a taken name', () => {
    counter('test_taken', 'A counter');
    expect(() => gauge('test_taken', 'A gauge')).toThrow(/already registered as a Counter/);
  });

  it('serves the Prometheus text content type', () => {
    expect(metricsContentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });
});
