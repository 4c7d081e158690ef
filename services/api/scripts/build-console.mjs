// Builds the fleet web console (services/api/console) into services/api/dist/console, where the
// API serves it at /console: type-checks it, bundles it with esbuild (preact included; nothing is
// fetched from a CDN at build or run time) and writes index.html naming the hashed bundle.
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { fileURLToPath, URL } from 'node:url';
import { createRequire } from 'node:module';
import { build } from 'esbuild';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const source = here('../console/');
const out = here('../dist/console/');

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
try {
  execFileSync(process.execPath, [tsc, '-p', `${source}tsconfig.json`], { stdio: 'inherit' });
} catch {
  console.error('build-console: the console does not type-check (errors above)');
  process.exit(1);
}

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
const result = await build({
  entryPoints: [`${source}src/main.tsx`, `${source}console.css`],
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  jsx: 'automatic',
  jsxImportSource: 'preact',
  entryNames: '[name]-[hash]',
  outdir: out,
  metafile: true,
  logLevel: 'warning',
});
const outputs = Object.keys(result.metafile.outputs).map((path) => basename(path));
const named = (ext) => {
  const file = outputs.find((name) => name.endsWith(ext));
  if (!file) throw new Error(`esbuild wrote no ${ext} file`);
  return file;
};
const html = (await readFile(`${source}index.html`, 'utf8'))
  .replace('{{js}}', named('.js'))
  .replace('{{css}}', named('.css'));
await writeFile(`${out}index.html`, html);
