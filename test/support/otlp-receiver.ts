import { createServer, type Server } from 'node:http';

export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  attributes: Record<string, unknown>;
  /** Span ids (with their trace ids) this span links to. */
  links: { traceId: string; spanId: string }[];
  /** Unix time in milliseconds (nanoseconds in OTLP, cut to what a Number holds). */
  startMs: number;
  endMs: number;
  /** OTLP's status code: 0 unset, 1 ok, 2 error. */
  statusCode: number;
}

/** OTLP span kinds by name, as the receiver reports them. */
export const SPAN_KIND = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 } as const;

/** A minimal OTLP/HTTP JSON trace receiver on loopback, standing in for Jaeger's collector. */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<OtlpReceiver> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (!address || typeof address !== 'object') throw new Error('no address');
    const receiver = new OtlpReceiver(server, `http://127.0.0.1:${address.port}`);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.url === '/v1/traces')
          receiver.collect(JSON.parse(Buffer.concat(chunks).toString() || '{}'));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    return receiver;
  }

  private collect(body: any): void {
    for (const rs of body.resourceSpans ?? []) {
      const service =
        rs.resource?.attributes?.find((a: any) => a.key === 'service.name')?.value?.stringValue ??
        '';
      for (const ss of rs.scopeSpans ?? []) {
        for (const s of ss.spans ?? []) {
          const attributes = Object.fromEntries(
            (s.attributes ?? []).map((a: any) => [a.key, Object.values(a.value ?? {})[0]]),
          );
          this.spans.push({
            service,
            traceId: s.traceId,
            spanId: s.spanId,
            parentSpanId: s.parentSpanId ?? '',
            name: s.name,
            kind: Number(s.kind ?? 0),
            attributes,
            links: (s.links ?? []).map((l: any) => ({ traceId: l.traceId, spanId: l.spanId })),
            startMs: nanosToMs(s.startTimeUnixNano),
            endMs: nanosToMs(s.endTimeUnixNano),
            statusCode: Number(s.status?.code ?? 0),
          });
        }
      }
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** OTLP/JSON sends nanoseconds as a string (or a number, or {low, high} from older exporters). */
function nanosToMs(nanos: unknown): number {
  if (nanos && typeof nanos === 'object' && 'low' in nanos && 'high' in nanos) {
    const { low, high } = nanos as { low: number; high: number };
    return Number((BigInt(high >>> 0) << 32n) | BigInt(low >>> 0)) / 1e6;
  }
  return Number(BigInt(String(nanos ?? 0)) / 1_000_000n);
}
