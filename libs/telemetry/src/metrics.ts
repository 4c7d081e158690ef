// One Prometheus registry per process. Helpers return an already registered metric, so modules
// can declare their metrics at import time, even when imported twice.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export const metrics = new Registry();
collectDefaultMetrics({ register: metrics, prefix: 'ingot_' });

export const metricsContentType: string = metrics.contentType;

export function metricsText(): Promise<string> {
  return metrics.metrics();
}

function existing<M>(name: string, type: abstract new (...args: never[]) => M): M | undefined {
  const metric = metrics.getSingleMetric(name);
  if (metric === undefined) return undefined;
  if (!(metric instanceof type)) {
    throw new Error(`metric ${name} is already registered as a ${metric.constructor.name}`);
  }
  return metric;
}

export function counter<L extends string = string>(
  name: string,
  help: string,
  labelNames: readonly L[] = [],
): Counter<L> {
  return (
    existing<Counter<L>>(name, Counter) ??
    new Counter({ name, help, labelNames, registers: [metrics] })
  );
}

export function gauge<L extends string = string>(
  name: string,
  help: string,
  labelNames: readonly L[] = [],
): Gauge<L> {
  return (
    existing<Gauge<L>>(name, Gauge) ?? new Gauge({ name, help, labelNames, registers: [metrics] })
  );
}

/** buckets default to prom-client's (seconds, 5ms to 10s). */
export function histogram<L extends string = string>(
  name: string,
  help: string,
  labelNames: readonly L[] = [],
  buckets?: number[],
): Histogram<L> {
  return (
    existing<Histogram<L>>(name, Histogram) ??
    new Histogram({ name, help, labelNames, registers: [metrics], ...(buckets ? { buckets } : {}) })
  );
}
