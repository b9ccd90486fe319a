/**
 * `make engine`'s tool (tools/engine/engine.ts): cache keys, cache validity, the committed sha512, missing tools.
 * Nothing here builds llama.cpp: the validity logic runs on fake cache entries, and the refused tarball is a small
 * local file.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  cacheRoot,
  checkEngineCache,
  cpuFlags,
  currentEngineInputs,
  type EngineKeyInputs,
  engineKey,
  engineLayout,
  MODEL_SIZES,
  modelKey,
  readLock,
  STAMP,
} from '../../../tools/engine/cache.ts';
import { integrityOf, missingTools, verifyTarball } from '../../../tools/engine/engine.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const scratch = mkdtempSync(join(tmpdir(), 'engine-tool-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A cache entry with everything in place and a stand-in llama-server script. */
function fakeEntry(root: string, key: string, serverScript: string): ReturnType<typeof engineLayout> {
  const layout = engineLayout(root, key);
  mkdirSync(join(layout.dir, 'bin'), { recursive: true });
  mkdirSync(join(layout.ggufPy, 'gguf'), { recursive: true });
  mkdirSync(join(layout.dir, 'vocab'), { recursive: true });
  writeFileSync(join(layout.ggufPy, 'gguf', '__init__.py'), '');
  writeFileSync(layout.vocab, 'GGUF');
  writeFileSync(layout.server, serverScript);
  chmodSync(layout.server, 0o755);
  writeFileSync(join(layout.dir, STAMP), '{}\n');
  return layout;
}

const WORKING = '#!/bin/sh\necho "version: 1 (de3ff815)" >&2\necho "built with fake" >&2\n';

describe('engine cache key', () => {
  const base: EngineKeyInputs = {
    version: '3.22.1',
    integrity: 'sha512-aaa',
    cpuFlags: 'avx avx2 fma',
    compiler: 'c++ (Debian 12.2.0-14) 12.2.0',
  };

  test('changes with the package version, its sha512, the CPU flags and the compiler', () => {
    const key = engineKey(base);
    assert.match(key, /^[0-9a-f]{16}$/);
    assert.equal(engineKey({ ...base }), key, 'same inputs, same key');
    const variants: EngineKeyInputs[] = [
      { ...base, version: '3.22.2' },
      { ...base, integrity: 'sha512-bbb' },
      { ...base, cpuFlags: 'avx avx2 avx512f fma' },
      { ...base, compiler: 'c++ (Debian 14.2.0-19) 14.2.0' },
    ];
    const keys = new Set([key, ...variants.map(engineKey)]);
    assert.equal(keys.size, 1 + variants.length, 'every input changes the key');
  });

  test("reads the CPU flags from cpuinfo's first flags line, sorted and de-duplicated", () => {
    const cpuinfo =
      'processor\t: 0\nflags\t\t: sse2 avx2 avx fma avx\nprocessor\t: 1\nflags\t\t: sse2 other\n';
    assert.equal(cpuFlags(cpuinfo), 'avx avx2 fma sse2');
    assert.equal(cpuFlags('no flags here'), 'unknown');
  });

  test('the model key changes with the generator script, each size parameter and llama.cpp', () => {
    const size = MODEL_SIZES.small;
    const key = modelKey('script-a', size, 'commit-a');
    const keys = new Set([
      key,
      modelKey('script-b', size, 'commit-a'),
      modelKey('script-a', size, 'commit-b'),
      ...Object.entries(size).map(([field, value]) =>
        modelKey(
          'script-a',
          { ...size, [field]: typeof value === 'string' ? `${value}x` : value + 1 },
          'commit-a',
        ),
      ),
    ]);
    assert.equal(keys.size, 3 + Object.keys(size).length);
  });

  test('lives under SLM_COPILOT_CACHE, else XDG_CACHE_HOME/slm-copilot, else ~/.cache/slm-copilot', () => {
    assert.equal(cacheRoot({ SLM_COPILOT_CACHE: '/c', XDG_CACHE_HOME: '/x', HOME: '/h' }), '/c');
    assert.equal(cacheRoot({ XDG_CACHE_HOME: '/x', HOME: '/h' }), '/x/slm-copilot');
    assert.equal(cacheRoot({ HOME: '/h' }), '/h/.cache/slm-copilot');
  });
});

describe('engine cache validity', () => {
  test('a complete entry whose llama-server runs --version is valid', () => {
    const layout = fakeEntry(join(scratch, 'valid'), 'k1', WORKING);
    assert.deepEqual(checkEngineCache(layout), { ok: true });
  });

  test('a missing entry, a missing stamp, a corrupted or failing binary are each named', () => {
    const root = join(scratch, 'broken');
    const missing = checkEngineCache(engineLayout(root, 'nothere'));
    assert.deepEqual(missing, { ok: false, reason: 'no cache for key nothere' });

    const unstamped = fakeEntry(root, 'k2', WORKING);
    rmSync(join(unstamped.dir, STAMP));
    const r2 = checkEngineCache(unstamped);
    assert.equal(r2.ok, false);
    assert.match(r2.ok ? '' : r2.reason, /incomplete/);

    const corrupted = fakeEntry(root, 'k3', WORKING);
    writeFileSync(corrupted.server, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0, 0])); // truncated ELF
    const r3 = checkEngineCache(corrupted);
    assert.equal(r3.ok, false);
    assert.match(r3.ok ? '' : r3.reason, /^cached llama-server does not run: /);

    const failing = fakeEntry(root, 'k4', '#!/bin/sh\necho "Illegal instruction" >&2\nexit 132\n');
    const r4 = checkEngineCache(failing);
    assert.equal(r4.ok, false);
    assert.match(r4.ok ? '' : r4.reason, /does not run: exit 132: Illegal instruction/);
  });
});

describe('the committed sha512', () => {
  const tarball = join(scratch, 'node-llama-cpp-fake.tgz');
  mkdirSync(join(scratch, 'pkg', 'package'), { recursive: true });
  writeFileSync(join(scratch, 'pkg', 'package', 'package.json'), '{"name":"node-llama-cpp"}\n');
  spawnSync('tar', ['-czf', tarball, '-C', join(scratch, 'pkg'), 'package']);
  const lock = readLock();

  test('a tarball with another sha512 is refused, both hashes shown', () => {
    const actual = integrityOf(tarball);
    assert.throws(
      () => verifyTarball(tarball, lock.integrity),
      (err: Error) =>
        err.message.includes(`expected ${lock.integrity}`) && err.message.includes(`actual   ${actual}`),
    );
    assert.doesNotThrow(() => verifyTarball(tarball, actual));
  });

  test('make engine says why it rebuilds a broken cache, then refuses the wrong tarball before building', () => {
    const root = join(scratch, 'cli');
    const key = engineKey(currentEngineInputs(lock));
    const broken = fakeEntry(root, key, '#!/bin/sh\nexit 3\n');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'tools/engine/engine.ts', '--engine-only'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, SLM_COPILOT_CACHE: root, SLM_COPILOT_ENGINE_TARBALL: tarball },
      timeout: 60_000,
    });
    const out = `${r.stdout}${r.stderr}`;
    assert.equal(r.status, 1, out);
    assert.match(out, /cached llama-server does not run: exit 3: no output, rebuilding/);
    assert.match(out, /does not match the sha512 committed in tools\/engine\/engine\.lock\.json/);
    assert.ok(out.includes(`expected ${lock.integrity}`), out);
    assert.ok(out.includes(`actual   ${integrityOf(tarball)}`), out);
    assert.equal(checkEngineCache(broken).ok, false, 'the broken entry is not replaced by a half build');
  });
});

describe('missing tools', () => {
  test('are each named with the apt-get command that installs them', () => {
    const missing = missingTools([
      { what: 'cmake', apt: 'cmake', present: () => false },
      { what: 'git', apt: 'git', present: () => true },
      { what: "python3's numpy", apt: 'python3-numpy', present: () => false },
    ]);
    assert.deepEqual(missing, [
      'cmake: apt-get install -y cmake',
      "python3's numpy: apt-get install -y python3-numpy",
    ]);
  });
});
