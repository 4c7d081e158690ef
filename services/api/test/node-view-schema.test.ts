// The node answers are serialized with the contracts' node model (fast-json-stringify, as Fastify
// does): whatever a node holds must come out exactly as JSON.stringify would write it, or a
// client would see a coerced or missing value.
import build from 'fast-json-stringify';
import { describe, expect, it } from 'vitest';
import { NODE_VIEW_FIELDS, NodeListSchema, NodeViewSchema } from '@ingot/contracts';

const serializeNode = build(NodeViewSchema);
const serializeList = build(NodeListSchema);

/** A value of the field's JSON type, nested and unusual where the type allows. */
function sampleOf(schema: { type?: unknown }, variant: number): unknown {
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  if (variant === 1 && types.includes('null')) return null;
  if (types.includes('string')) return `välue "quoted" \\ \n ${variant} \u2028 😀`;
  if (types.includes('boolean')) return variant === 0;
  if (types.includes('array')) return variant === 0 ? ['CUSTOM_A', 'ünïcode'] : [];
  return {
    nested: { deep: [1, 2.5, -3e-7, null, true, 'x'], empty: {} },
    redfish_password: '******',
    big: 2 ** 53,
    none: null,
  };
}

function sampleNode(variant: number): Record<string, unknown> {
  const node: Record<string, unknown> = Object.fromEntries(
    Object.entries(NODE_VIEW_FIELDS).map(([field, schema]) => [field, sampleOf(schema, variant)]),
  );
  node.links = [{ href: 'http://127.0.0.1/v1/nodes/x', rel: 'self' }];
  node.ports = [{ href: 'http://127.0.0.1/v1/nodes/x/ports', rel: 'self' }];
  // A field the view gained and the model did not: still written.
  node.some_new_field = { kept: true };
  return node;
}

describe('the node model as response schema', () => {
  it.each([0, 1])('writes every field of a node unchanged (variant %i)', (variant) => {
    const node = sampleNode(variant);
    expect(JSON.parse(serializeNode(node))).toEqual(node);
  });

  it('writes only the fields a node answer has (fields=, older versions)', () => {
    const partial = { uuid: 'u', provision_state: null, links: [] };
    expect(JSON.parse(serializeNode(partial))).toEqual(partial);
  });

  it('writes a list page and its next link', () => {
    const page = {
      nodes: [sampleNode(0), sampleNode(1)],
      next: 'http://127.0.0.1/v1/nodes?marker=x',
    };
    expect(JSON.parse(serializeList(page))).toEqual(page);
    expect(JSON.parse(serializeList({ nodes: [] }))).toEqual({ nodes: [] });
  });
});
