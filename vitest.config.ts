import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const libs = [
  'contracts',
  'lifecycle',
  'store',
  'bus',
  'telemetry',
  'drivers',
  'media',
  'inventory',
  'rules',
  'service',
  'metal3',
  'node-commands',
];

export default defineConfig({
  resolve: {
    // Tests import the workspace libraries from source so that they never run stale builds.
    alias: Object.fromEntries([
      // Subpaths before their package's alias, which would otherwise take them too.
      ['@ingot/inventory/root-device', here('libs/inventory/src/root-device.ts')],
      ...libs.map((lib) => [`@ingot/${lib}`, here(`libs/${lib}/src/index.ts`)]),
      ['@ingot/lab/kube-apiserver', here('lab/src/kube-apiserver.ts')],
      ['@ingot/lab', here('lab/src/index.ts')],
    ]),
  },
  test: {
    include: [
      '{libs,services}/*/test/**/*.test.ts',
      '{lab,agent}/test/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: integration tests spawn services, so keep the parallelism modest.
    maxWorkers: 2,
    fileParallelism: true,
  },
});
