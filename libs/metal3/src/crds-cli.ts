// Writes the CRDs generated from @ingot/metal3's schemas to a folder (deploy/kubernetes/crds).
// usage: node libs/metal3/dist/crds-cli.js <folder>
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crdFiles } from './crds.js';

const folder = process.argv[2];
if (!folder) {
  console.error('usage: crds-cli <folder>   (e.g. deploy/kubernetes/crds)');
  process.exit(2);
}
await mkdir(folder, { recursive: true });
for (const file of crdFiles()) {
  await writeFile(join(folder, file.name), file.text);
  console.log(`wrote ${join(folder, file.name)}`);
}
