// Bundles the agent into one ES module for the ramdisk: the workspace libs (@ingot/*) from their
// TypeScript sources, so a stale dist/ never ends up on a machine; Node's builtins stay external.
// usage: node scripts/ramdisk/bundle-agent.mjs <outfile>
import { existsSync } from 'node:fs';
import { fileURLToPath, URL } from 'node:url';
import { build } from 'esbuild';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const outfile = process.argv[2];
if (!outfile) {
  console.error('usage: node scripts/ramdisk/bundle-agent.mjs <outfile>');
  process.exit(2);
}

const workspaceLibsFromSource = {
  name: 'workspace-libs-from-source',
  setup(b) {
    // @ingot/<lib> is libs/<lib>/src/index.ts; a subpath @ingot/<lib>/<module> is its <module>.ts.
    b.onResolve({ filter: /^@ingot\/[a-z0-9-]+(\/[a-z0-9-]+)?$/ }, (args) => {
      const [lib, module = 'index'] = args.path.slice('@ingot/'.length).split('/');
      const path = `${repo}libs/${lib}/src/${module}.ts`;
      if (!existsSync(path)) return { errors: [{ text: `${args.path}: no ${path}` }] };
      return { path };
    });
  },
};

await build({
  entryPoints: [`${repo}agent/src/main.ts`],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // CommonJS dependencies bundled into an ES module still call require() for builtins.
  banner: {
    js: "import { createRequire as __ingotRequire } from 'node:module'; const require = __ingotRequire(import.meta.url);",
  },
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [workspaceLibsFromSource],
});
