import { readdir, readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import {
  bareMetalHostCrd,
  crdFiles,
  hardwareDataCrd,
  type CustomResourceDefinition,
} from '../src/index.js';

// Upstream Metal3's CRDs sit beside the repository (CI has shared/ there); they are read, never copied.
const upstreamDir = new URL('../../../../shared/reference/metal3/', import.meta.url);
const committedDir = new URL('../../../deploy/kubernetes/crds/', import.meta.url);

async function upstream(file: string): Promise<CustomResourceDefinition> {
  return parse(await readFile(new URL(file, upstreamDir), 'utf8')) as CustomResourceDefinition;
}

type Schema = Record<string, unknown> & {
  properties?: Record<string, Schema>;
  items?: Schema;
  required?: string[];
};

/** Every keyword of a CRD schema that changes what the API server accepts, stores or defaults. */
const SEMANTIC_KEYWORDS = [
  'type',
  'enum',
  'default',
  'format',
  'pattern',
  'nullable',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'x-kubernetes-map-type',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-int-or-string',
  'additionalProperties',
] as const;

/** Differences between two schemas, one line per property path and keyword. */
function schemaDifferences(theirs: Schema, ours: Schema | undefined, path = ''): string[] {
  const at = path || '.';
  if (!ours) return [`${at}: missing`];
  const found: string[] = [];
  for (const keyword of SEMANTIC_KEYWORDS) {
    const [a, b] = [JSON.stringify(theirs[keyword]), JSON.stringify(ours[keyword])];
    if (a !== b) found.push(`${at} ${keyword}: upstream ${a}, ours ${b}`);
  }
  const [a, b] = [[...(theirs.required ?? [])].sort(), [...(ours.required ?? [])].sort()];
  if (JSON.stringify(a) !== JSON.stringify(b))
    found.push(`${at} required: upstream ${JSON.stringify(a)}, ours ${JSON.stringify(b)}`);
  for (const [name, child] of Object.entries(theirs.properties ?? {}))
    found.push(...schemaDifferences(child, ours.properties?.[name], `${path}.${name}`));
  for (const name of Object.keys(ours.properties ?? {}))
    if (!theirs.properties?.[name]) found.push(`${path}.${name}: not upstream`);
  if (theirs.items) found.push(...schemaDifferences(theirs.items, ours.items, `${path}[]`));
  return found;
}

/** Everything but the schema and descriptions: names, scope, subresources, printer columns. */
function shape(crd: CustomResourceDefinition) {
  const version = crd.spec.versions[0]!;
  return {
    name: crd.metadata.name,
    group: crd.spec.group,
    names: { ...crd.spec.names, shortNames: [...(crd.spec.names.shortNames ?? [])].sort() },
    scope: crd.spec.scope,
    versions: crd.spec.versions.map((v) => [v.name, v.served, v.storage]),
    subresources: version.subresources,
    columns: (version.additionalPrinterColumns ?? []).map((c) => [
      c.name,
      c.type,
      c.jsonPath,
      c.priority,
    ]),
  };
}

const openApi = (crd: CustomResourceDefinition) =>
  crd.spec.versions[0]!.schema.openAPIV3Schema as Schema;

describe("Ingot's Metal3 CRDs, generated from @ingot/metal3's TypeBox schemas", () => {
  it('BareMetalHost matches upstream Metal3 property by property, but for one deliberate difference', async () => {
    const theirs = await upstream('metal3.io_baremetalhosts.yaml');
    const ours = bareMetalHostCrd();
    expect(shape(ours)).toEqual(shape(theirs));
    expect(schemaDifferences(openApi(theirs), openApi(ours))).toEqual([
      // Upstream's Go code reports `detach error` but its CRD's enum forgets it, so a detach
      // failure could not be written to the status; ours allows it (a superset).
      '.status.errorType enum: upstream ["provisioned registration error","registration error",' +
        '"inspection error","preparation error","provisioning error","power management error",' +
        '"servicing error"], ours ["provisioned registration error","registration error",' +
        '"inspection error","preparation error","provisioning error","power management error",' +
        '"servicing error","detach error"]',
    ]);
  });

  it('HardwareData matches upstream Metal3 property by property', async () => {
    const theirs = await upstream('metal3.io_hardwaredata.yaml');
    const ours = hardwareDataCrd();
    expect(shape(ours)).toEqual(shape(theirs));
    expect(schemaDifferences(openApi(theirs), openApi(ours))).toEqual([]);
  });

  it('the comparison notices a changed default, a missing property and an extra one', async () => {
    const theirs = openApi(await upstream('metal3.io_baremetalhosts.yaml'));
    const ours = structuredClone(openApi(bareMetalHostCrd()));
    const spec = ours.properties!.spec!;
    spec.properties!.automatedCleaningMode!.default = 'disabled';
    delete spec.properties!.bootMode;
    spec.properties!.invented = { type: 'string' };
    expect(schemaDifferences(theirs.properties!.spec!, spec, '.spec')).toEqual([
      '.spec.automatedCleaningMode default: upstream "metadata", ours "disabled"',
      '.spec.bootMode: missing',
      '.spec.invented: not upstream',
    ]);
  });

  it('deploy/kubernetes/crds holds exactly what `npm run crds` generates', async () => {
    const generated = crdFiles();
    const committed = (await readdir(committedDir)).filter((f) => f.endsWith('.metal3.io.yaml'));
    expect(committed.sort()).toEqual(generated.map((f) => f.name).sort());
    for (const file of generated) {
      const text = await readFile(new URL(file.name, committedDir), 'utf8');
      expect(text, `${file.name} differs from the generator: run \`npm run crds\``).toBe(file.text);
    }
  });
});
