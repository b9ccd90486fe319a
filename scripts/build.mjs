// Bundles the CLI (src/cli/entry.ts) and all its dependencies into one executable ES module,
// dist/slm-copilot.mjs, that runs on a bare Node.js (20 or newer; the appliance ships Node 24).
import { chmodSync, existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'src/cli/entry.ts');
const outfile = join(root, 'dist/slm-copilot.mjs');
if (!existsSync(entry)) {
  console.error(`build: ${relative(root, entry)} does not exist; nothing to bundle.`);
  process.exit(1);
}
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

// esbuild moves a hashbang in the entry file to the top of the output, and puts the banner after it:
// add our own only if the entry has none, or the bundle would start with two.
const entryHasHashbang = readFileSync(entry, 'utf8').startsWith('#!');

// CJS dependencies (commander) call require('node:events') etc.; in an ES module there is no
// `require`, so esbuild's shim would throw "Dynamic require ... is not supported". Give it a real one.
const banner = [
  ...(entryHasHashbang ? [] : ['#!/usr/bin/env node']),
  "import { createRequire } from 'node:module';",
  'const require = createRequire(import.meta.url);',
].join('\n');

await build({
  absWorkingDir: root,
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  banner: { js: banner },
  sourcemap: false,
  legalComments: 'inline',
  logLevel: 'warning',
});

chmodSync(outfile, 0o755);
const kib = (statSync(outfile).size / 1024).toFixed(1);
console.log(`built ${relative(root, outfile)} (v${version}, ${kib} KiB)`);
