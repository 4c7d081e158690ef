// Property-based fuzzing of every route of the API, the agent endpoints included: operations are
// read from the API's own OpenAPI document (generated from the route schemas), and fast-check
// makes requests from them, half shaped by the schemas and half hostile. Whatever comes in, the
// answer is never a 5xx. Seeded (INGOT_FUZZ_SEED) and bounded (INGOT_FUZZ_RUNS).
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Installation } from '@ingot/lab';

const SEED = Number(process.env.INGOT_FUZZ_SEED ?? 20261206);
const RUNS = Number(process.env.INGOT_FUZZ_RUNS ?? 2_500);

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  const?: unknown;
}

interface Operation {
  method: string;
  path: string;
  pathParams: string[];
  query: { name: string; schema: JsonSchema }[];
  body?: JsonSchema;
}

interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** Strings that broke APIs before: NUL, lone surrogates, prototype keys, escapes, huge and empty. */
const NASTY = [
  '',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  '__proto__',
  'constructor',
  'prototype',
  '../../etc/passwd',
  '%00',
  '%',
  '%ZZ',
  'True',
  'false',
  'null',
  '-1',
  '1e400',
  '99999999999999999999999',
  '0x10',
  ' ',
  '😀',
  'ä',
  "'; DROP TABLE nodes; --",
  'x'.repeat(5_000),
];

/**
 * Percent-encoding that also takes lone surrogates, which encodeURIComponent refuses: they go out
 * as the three bytes UTF-8 would give them (invalid UTF-8, which the server must cope with).
 */
function percentEncode(text: string): string {
  let out = '';
  for (const unit of text) {
    const code = unit.charCodeAt(0);
    if (unit.length === 1 && code >= 0xd800 && code <= 0xdfff) {
      const bytes = [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)];
      out += bytes.map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    } else out += encodeURIComponent(unit);
  }
  return out;
}

/** A JSON document nested far deeper than anything legitimate (written as text: no recursion). */
const deepJson = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

describe('fuzzing every route', () => {
  let system: Installation;
  let operations: Operation[];
  /** Real identifiers, so that part of the requests reach existing nodes, ports and rules. */
  let known: string[];

  beforeAll(async () => {
    system = await Installation.start({ INGOT_AUTH_STRATEGY: 'noauth', LOG_LEVEL: 'info' });
    const nodes: string[] = [];
    for (const name of ['fuzz-a', 'fuzz-b']) {
      const res = await system.api('POST', '/v1/nodes', { name, driver: 'fake-hardware' });
      expect(res.status, res.text).toBe(201);
      nodes.push(res.body.uuid, name);
    }
    const port = await system.api('POST', '/v1/ports', {
      node_uuid: nodes[0],
      address: '52:54:00:12:34:56',
    });
    expect(port.status, port.text).toBe(201);
    known = [...nodes, port.body.uuid, '52:54:00:12:34:56'];
    const doc = (await system.api('GET', '/openapi.json')).body as {
      paths: Record<string, Record<string, any>>;
    };
    operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({
        method: method.toUpperCase(),
        path,
        pathParams: (op.parameters ?? [])
          .filter((p: any) => p.in === 'path')
          .map((p: any) => p.name as string),
        query: (op.parameters ?? [])
          .filter((p: any) => p.in === 'query')
          .map((p: any) => ({ name: p.name as string, schema: (p.schema ?? {}) as JsonSchema })),
        body: op.requestBody?.content?.['application/json']?.schema as JsonSchema | undefined,
      })),
    );
    expect(operations.length).toBeGreaterThan(40);
  }, 60_000);
  afterAll(async () => {
    await system?.stop();
  });

  it('answers every request with less than 500', async () => {
    const text = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...NASTY) },
      { weight: 2, arbitrary: fc.constantFrom(...known) },
      { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
      // Any code point, lone surrogates included.
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
    );
    const json: fc.Arbitrary<unknown> = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }),
      text,
      fc.constantFrom(-1, 0, 1e308, -1e308, 2 ** 53 + 1, 0.5),
      fc.dictionary(text, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
    );
    /** A value shaped by its schema most of the time, anything otherwise. */
    const valueFor = (schema: JsonSchema | undefined, depth = 0): fc.Arbitrary<unknown> => {
      if (!schema || depth > 3) return json;
      const types = [schema.type ?? []].flat();
      const shaped: fc.Arbitrary<unknown>[] = [];
      if (schema.enum) shaped.push(fc.constantFrom(...schema.enum));
      if (schema.const !== undefined) shaped.push(fc.constant(schema.const));
      for (const sub of schema.anyOf ?? []) shaped.push(valueFor(sub, depth + 1));
      if (types.includes('string')) shaped.push(text);
      if (types.includes('integer') || types.includes('number'))
        shaped.push(fc.oneof(fc.integer(), fc.double({ noNaN: true })));
      if (types.includes('boolean')) shaped.push(fc.boolean(), fc.constantFrom('True', 'no'));
      if (types.includes('array'))
        shaped.push(fc.array(valueFor(schema.items, depth + 1), { maxLength: 3 }));
      if (types.includes('object') || schema.properties) {
        const props = Object.entries(schema.properties ?? {});
        shaped.push(
          fc
            .tuple(
              fc.record(Object.fromEntries(props.map(([k, v]) => [k, valueFor(v, depth + 1)])), {
                requiredKeys: [],
              }),
              fc.dictionary(text, json, { maxKeys: 2 }),
            )
            .map(([known, extra]) => ({ ...extra, ...known })),
        );
      }
      return shaped.length > 0 ? fc.oneof(fc.oneof(...shaped), json) : json;
    };
    const encode = (value: unknown) =>
      percentEncode(typeof value === 'string' ? value : (JSON.stringify(value) ?? ''));
    const pathValue = fc.oneof(
      text.map(percentEncode),
      fc.constantFrom('%ZZ', 'a%00b', '%F0%9F', '%ED%A0%80', '..', '.'),
    );

    const request = fc
      .constantFrom(...operations)
      .chain((op) =>
        fc.record({
          op: fc.constant(op),
          params: fc.tuple(...op.pathParams.map(() => pathValue), fc.constant('')),
          query: fc.array(
            fc.oneof(
              fc
                .constantFrom(...(op.query.length > 0 ? op.query : [{ name: 'x', schema: {} }]))
                .chain((q) => fc.tuple(fc.constant(q.name), valueFor(q.schema))),
              fc.tuple(text, text),
            ),
            { maxLength: 4 },
          ),
          body: fc.oneof(
            { weight: 6, arbitrary: valueFor(op.body).map((v) => JSON.stringify(v) ?? 'null') },
            { weight: 1, arbitrary: fc.constantFrom(deepJson(10_000), '{"a":', 'not json', '') },
          ),
          // Mostly versions the API serves, so that most requests get past the version check.
          version: fc.oneof(
            { weight: 8, arbitrary: fc.constantFrom('1.1', '1.31', '1.78', '1.96', 'latest', '') },
            { weight: 1, arbitrary: fc.constantFrom('1.999', 'x', '2.0') },
          ),
          contentType: fc.constantFrom('application/json', 'text/plain', ''),
        }),
      )
      .map(({ op, params, query, body, version, contentType }): FuzzRequest => {
        let path = op.path;
        op.pathParams.forEach((name, i) => (path = path.replace(`{${name}}`, params[i]!)));
        const search = query.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&');
        const headers: Record<string, string> = {};
        if (version) headers['x-openstack-ironic-api-version'] = version;
        const sendsBody = !['GET', 'HEAD', 'DELETE'].includes(op.method);
        if (sendsBody && contentType) headers['content-type'] = contentType;
        return {
          method: op.method,
          path: search ? `${path}?${search}` : path,
          headers,
          body: sendsBody ? body : undefined,
        };
      });

    let sent = 0;
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        sent++;
        const res = await fetch(`${system.apiUrl}${r.path}`, {
          method: r.method,
          headers: r.headers,
          body: r.body,
        });
        // A live event stream (GET /v1/events) never ends on its own: its status is the answer.
        const streaming = res.headers.get('content-type')?.startsWith('text/event-stream');
        const answer = streaming ? '' : await res.text();
        if (streaming) await res.body?.cancel();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status >= 500)
          throw new Error(`${r.method} ${r.path} → ${res.status}: ${answer.slice(0, 500)}`);
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    const summary = [...statuses.entries()].sort(([a], [b]) => a - b);
    process.stdout.write(
      `api fuzz: seed ${SEED}, ${sent} requests over ${operations.length} operations, ` +
        `0 × 5xx; statuses ${summary.map(([s, n]) => `${s}×${n}`).join(' ')}\n`,
    );
    expect(sent).toBe(RUNS);
    // The requests did reach the handlers: successes and refusals both.
    expect(summary.some(([s]) => s >= 200 && s < 300)).toBe(true);
    expect(summary.some(([s]) => s === 400)).toBe(true);
  }, 600_000);
});
