// Minify src/*.js into dist/ with the pinned terser, print raw and gzipped sizes, and fail when a
// file is over its gzipped budget (the loader runs on every page of every customer: ≤ 2 KB).
// Run by `make embed` (from `make run`, `make test`, `make bench`); deterministic, no network.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { minify } from 'terser';

const BUDGET_GZIP_BYTES = 2048;
const FILES = ['embed.js', 'widget-bridge.js'];
// The widget's voice call: @vapi-ai/web (and Daily's client) bundled as one script, loaded by /widget
// only when the visitor presses "Call us" — never by the loader on customers' pages, so no budget.
const BUNDLES = ['vapi-web.js'];
const here = (path) => new URL(path, import.meta.url);

await mkdir(here('dist/'), { recursive: true });
let failed = false;
for (const name of FILES) {
  const source = await readFile(here(`src/${name}`), 'utf8');
  const { code } = await minify(source, {
    ecma: 2020,
    compress: { passes: 3 },
    mangle: true,
    format: { comments: false },
  });
  const bytes = Buffer.from(`${code}\n`);
  const gzipped = gzipSync(bytes, { level: 9 }).length;
  const over = gzipped > BUDGET_GZIP_BYTES;
  console.log(`${name}: ${bytes.length} bytes, ${gzipped} bytes gzipped (budget ${BUDGET_GZIP_BYTES})${over ? ' OVER BUDGET' : ''}`);
  if (over) {
    failed = true;
    continue;
  }
  // Write then rename: a running server never reads half a file.
  await writeFile(here(`dist/${name}.tmp`), bytes);
  await rename(here(`dist/${name}.tmp`), here(`dist/${name}`));
}
for (const name of BUNDLES) {
  await build({
    entryPoints: [here(`src/${name}`).pathname], bundle: true, format: 'iife', minify: true, target: 'es2020',
    outfile: here(`dist/${name}.tmp`).pathname, legalComments: 'none', logLevel: 'error',
  });
  await rename(here(`dist/${name}.tmp`), here(`dist/${name}`));
  const bytes = await readFile(here(`dist/${name}`));
  console.log(`${name}: ${bytes.length} bytes, ${gzipSync(bytes, { level: 9 }).length} bytes gzipped (loaded on demand)`);
}
if (failed) {
  console.error(`embed_widget: over the ${BUDGET_GZIP_BYTES}-byte gzipped budget`);
  process.exit(1);
}
