// Runs test/**/*.test.ts with Node's built-in test runner, TypeScript loaded through tsx.
//
//   node scripts/run-tests.mjs                      the fast tiers: every test outside test/acceptance/ (make test)
//   node scripts/run-tests.mjs --acceptance         the slow acceptance tests, test/acceptance/**, one file at a
//                                                   time (make test-slow, a.k.a. make acceptance)
//   node scripts/run-tests.mjs test/core/settings   only files under (or starting with) that path, in either tier
//   node scripts/run-tests.mjs --test-name-pattern=mask test/core/settings
//                                                   other arguments starting with "--" go to node as they are
//
// Node 20's `node --test` takes no globs, so the files are found here, in sorted order.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const testDir = join(root, 'test');

// Data directories (as biome.json excludes them): a fixture named *.test.ts is not a test to run.
const SKIP_DIRS = new Set(['node_modules', 'fixtures', 'golden']);

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

const ACCEPTANCE = 'test/acceptance/';
const args = process.argv.slice(2);
const acceptance = args.includes('--acceptance');
const nodeFlags = args.filter((a) => a.startsWith('--') && a !== '--acceptance');
// "./test/core/settings/" and "test/core/settings" both select test/core/settings/**.
const filters = args
  .filter((a) => !a.startsWith('--'))
  .map((a) => a.replace(/^\.\//, '').replace(/\/+$/, ''));

/**
 * The QEMU boot suite runs last in the acceptance tier: after the engine suites, never beside them (both are
 * CPU-bound, and the machine has 2 cores). node's runner orders the files it is given itself, so the last ones get a
 * run of their own after the others.
 */
const LAST = ['test/acceptance/boot/'];
const isLast = (f) => LAST.some((p) => f.startsWith(p));

const all = findTests(testDir).sort();
// A path filter picks from both tiers; without one, --acceptance picks the slow tier and no flag the fast tiers.
const files = filters.length
  ? all.filter((f) => filters.some((p) => f.startsWith(p)))
  : all.filter((f) => f.startsWith(ACCEPTANCE) === acceptance);

if (files.length === 0) {
  const what = filters.length ? `matching ${filters.join(' ')}` : 'at all';
  console.error(`run-tests: no test files (test/**/*.test.ts) ${what}; refusing to report success.`);
  process.exit(1);
}

// --test-concurrency exists from Node 20.10 on. Without it, Node 20 runs (cores - 1) files at once,
// which is a single file at a time on the 2-core CI machine.
const [major, minor] = process.versions.node.split('.').map(Number);
// Acceptance tests run one file at a time: they measure time and must not share the CPU with each other (the
// files in WAITING below, which only wait, run beside them).
const concurrency =
  major > 20 || (major === 20 && minor >= 10) ? [`--test-concurrency=${acceptance ? 1 : 2}`] : [];

const tier = filters.length ? 'selected' : acceptance ? 'acceptance' : 'fast';
const testArgs = (list) => [
  '--import',
  'tsx',
  '--test',
  '--test-reporter=spec',
  ...concurrency,
  ...nodeFlags,
  ...list,
];

/** Runs node's test runner on `list`, its output to `write`; resolves to the exit status and the pass/fail counts. */
function run(list, write) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, testArgs(list), { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    // The runner's summary ("ℹ pass N") comes before the list of failing tests, which can be long: the counts are
    // taken from each complete line as it passes, not from the end of the output.
    const counts = { pass: 0, fail: 0 };
    const reader = () => {
      let partial = '';
      return (chunk) => {
        write(chunk);
        const lines = (partial + chunk.toString()).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          // A cancelled test (one that outlived its suite) failed too.
          const match = /^ℹ (pass|fail|cancelled) (\d+)$/.exec(line);
          if (match !== null) counts[match[1] === 'pass' ? 'pass' : 'fail'] += Number(match[2]);
        }
      };
    };
    child.stdout.on('data', reader());
    child.stderr.on('data', reader());
    child.on('error', reject);
    child.on('close', (code, signal) => {
      resolve({ status: signal === null ? (code ?? 1) : 1, signal, ...counts });
    });
  });
}

/**
 * Acceptance files that mostly wait (the relay's 330-second stall sends a byte a second): they run beside the
 * others, whose CPU-bound suites (the engine, the QEMU boot) still run one at a time. Their output is held and
 * printed after the others', then one line adds up both.
 */
const WAITING = new Set(['test/acceptance/relay/stall.test.ts']);
const waiting = acceptance && !filters.length ? files.filter((f) => WAITING.has(f)) : [];
const busy = files.filter((f) => !waiting.includes(f));

console.log(`run-tests: ${files.length} ${tier} file(s) on node ${process.version}`);
const held = [];
const beside = waiting.length > 0 ? run(waiting, (chunk) => held.push(chunk)) : null;
if (beside !== null)
  console.log(`run-tests: ${waiting.join(' ')} runs beside the others (it waits, it does not compute)`);
const results = [];
for (const group of [busy.filter((f) => !isLast(f)), busy.filter(isLast)]) {
  if (group.length > 0) results.push(await run(group, (chunk) => process.stdout.write(chunk)));
}
if (beside !== null) {
  const result = await beside;
  console.log(`\nrun-tests: output of ${waiting.join(' ')}, run beside the others:`);
  for (const chunk of held) process.stdout.write(chunk);
  results.push(result);
}
if (results.length > 1) {
  const pass = results.reduce((sum, result) => sum + result.pass, 0);
  const fail = results.reduce((sum, result) => sum + result.fail, 0);
  console.log(`\nacceptance: ${pass} passed, ${fail} failed`);
}
const killed = results.find((result) => result.signal !== null);
if (killed !== undefined) {
  console.error(`run-tests: test runner killed by ${killed.signal}`);
  process.exit(1);
}
process.exit(results.every((result) => result.status === 0) ? 0 : 1);
