// Runs every test/**/*.test.ts with Node's built-in test runner, TypeScript loaded through tsx.
//
//   node scripts/run-tests.mjs                      all tests
//   node scripts/run-tests.mjs test/settings        only files under (or starting with) that path
//   node scripts/run-tests.mjs --test-name-pattern=mask test/settings
//                                                   arguments starting with "--" go to node as they are
//
// Node 20's `node --test` takes no globs, so the files are found here, in sorted order.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const testDir = join(root, 'test');

// Data directories (as biome.json excludes them): a fixture named *.test.ts is not a test to run.
// test/acceptance holds the slow suites (QEMU boots): `make test-boot` runs them, never `make test`.
const SKIP_DIRS = new Set(['node_modules', 'fixtures', 'golden', 'acceptance']);

/** Every *.test.ts below dir, as paths relative to the repository root with "/" separators. */
function findTests(dir) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if (err.code === 'ENOENT') return [];
    throw err;
  }
  return entries.flatMap((e) => {
    const full = join(dir, e.name);
    if (e.isDirectory()) return SKIP_DIRS.has(e.name) ? [] : findTests(full);
    return e.isFile() && e.name.endsWith('.test.ts') ? [relative(root, full).split(sep).join('/')] : [];
  });
}

const args = process.argv.slice(2);
const nodeFlags = args.filter((a) => a.startsWith('--'));
// "./test/settings/" and "test/settings" both select test/settings/**.
const filters = args
  .filter((a) => !a.startsWith('--'))
  .map((a) => a.replace(/^\.\//, '').replace(/\/+$/, ''));

const all = findTests(testDir).sort();
const files = filters.length ? all.filter((f) => filters.some((p) => f.startsWith(p))) : all;

if (files.length === 0) {
  const what = filters.length ? `matching ${filters.join(' ')}` : 'at all';
  console.error(`run-tests: no test files (test/**/*.test.ts) ${what}; refusing to report success.`);
  process.exit(1);
}

// --test-concurrency exists from Node 20.10 on. Without it, Node 20 runs (cores - 1) files at once,
// which is a single file at a time on the 2-core CI machine.
const [major, minor] = process.versions.node.split('.').map(Number);
const concurrency = major > 20 || (major === 20 && minor >= 10) ? ['--test-concurrency=2'] : [];

console.log(`run-tests: ${files.length} file(s) on node ${process.version}`);
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', ...concurrency, ...nodeFlags, ...files],
  { cwd: root, stdio: 'inherit' },
);

if (result.error) throw result.error;
if (result.signal) {
  console.error(`run-tests: test runner killed by ${result.signal}`);
  process.exit(1);
}
process.exit(result.status ?? 1);
