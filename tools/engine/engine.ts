/**
 * `make engine`: builds llama.cpp's llama-server from the source the pinned node-llama-cpp npm package ships (a git
 * bundle), and generates the Devstral-shaped test models; both cached outside the repository, keyed by what they
 * depend on. A cached run only checks the cache and prints the paths.
 *
 *   node --import tsx tools/engine/engine.ts [--engine-only] [--models=small,slow]
 *
 * Environment: SLM_COPILOT_CACHE (cache root), SLM_COPILOT_ENGINE_TARBALL (use this node-llama-cpp tarball instead of
 * `npm pack`; it is verified all the same), SLM_COPILOT_ENGINE_JOBS (parallel compile jobs, default: CPU count).
 *
 * The models' answers are noise; tokens, timings and caching are real. Token counts follow the borrowed tokenizer
 * (llama-bpe), and Devstral's markers are plain text in it, not control tokens.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import {
  cacheRoot,
  checkEngineCache,
  checkModelCache,
  currentEngineInputs,
  type EngineLayout,
  type EngineLock,
  engineKey,
  engineLayout,
  fileSha256,
  MODEL_SCRIPT,
  MODEL_SIZES,
  type ModelLayout,
  type ModelSize,
  type ModelSizeName,
  modelLayout,
  readLock,
  readModelStamp,
  STAMP,
} from './cache.ts';

type Log = (line: string) => void;
const defaultLog: Log = (line) => console.log(`engine: ${line}`);

export class EngineError extends Error {}

// --- prerequisites --------------------------------------------------------------------------------------------

export interface Tool {
  readonly what: string;
  readonly apt: string;
  readonly present: () => boolean;
}

function runs(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

/** The Python that has numpy: Debian's first (python3-numpy installs there), then python3 on PATH. */
export function findPython(): string | undefined {
  return ['/usr/bin/python3', 'python3'].find((p) => runs(p, ['-c', 'import numpy']));
}

export const BUILD_TOOLS: readonly Tool[] = [
  { what: 'cmake', apt: 'cmake', present: () => runs('cmake', ['--version']) },
  { what: 'a C++ compiler (c++/g++)', apt: 'g++', present: () => runs('c++', ['--version']) },
  { what: 'git', apt: 'git', present: () => runs('git', ['--version']) },
  { what: 'npm', apt: 'npm (or Node.js from nodejs.org)', present: () => runs('npm', ['--version']) },
  { what: 'tar', apt: 'tar', present: () => runs('tar', ['--version']) },
];
export const MODEL_TOOLS: readonly Tool[] = [
  {
    what: 'python3',
    apt: 'python3',
    present: () => runs('python3', ['--version']) || runs('/usr/bin/python3', ['--version']),
  },
  { what: "python3's numpy", apt: 'python3-numpy', present: () => findPython() !== undefined },
];

/** Every missing tool, each with the command that installs it; nothing when all are there. */
export function missingTools(tools: readonly Tool[]): string[] {
  return tools.filter((t) => !t.present()).map((t) => `${t.what}: apt-get install -y ${t.apt}`);
}

function requireTools(tools: readonly Tool[], purpose: string): void {
  const missing = missingTools(tools);
  if (missing.length > 0) {
    throw new EngineError(`missing for ${purpose}:\n  ${missing.join('\n  ')}\n(make deps installs them)`);
  }
}

// --- tarball ----------------------------------------------------------------------------------------------------

/** npm's integrity string (`sha512-<base64>`) of a file. */
export function integrityOf(path: string): string {
  return `sha512-${createHash('sha512').update(readFileSync(path)).digest('base64')}`;
}

/** Refuses a tarball whose sha512 is not the committed one, showing both. */
export function verifyTarball(path: string, expected: string): void {
  const actual = integrityOf(path);
  if (actual !== expected) {
    throw new EngineError(
      `${path} does not match the sha512 committed in tools/engine/engine.lock.json:\n` +
        `  expected ${expected}\n  actual   ${actual}\nrefusing to build from it`,
    );
  }
}

function run(cmd: string, args: string[], opts: { cwd?: string; logFile?: string } = {}): string {
  const fd = opts.logFile ? openSync(opts.logFile, 'a') : undefined;
  try {
    const r = spawnSync(cmd, args, {
      cwd: opts.cwd,
      encoding: 'utf8',
      stdio: ['ignore', fd ?? 'pipe', fd ?? 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    });
    if (r.error) throw new EngineError(`${cmd} ${args.join(' ')}: ${r.error.message}`);
    if (r.status !== 0) {
      const tail = opts.logFile
        ? readFileSync(opts.logFile, 'utf8').split('\n').slice(-25).join('\n')
        : `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
      const where = opts.logFile ? ` (log: ${opts.logFile})` : '';
      throw new EngineError(
        `${cmd} ${args.join(' ')} failed with ${r.signal ?? `exit ${r.status}`}${where}\n${tail}`,
      );
    }
    return r.stdout ?? '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function fetchTarball(lock: EngineLock, dir: string, log: Log): string {
  const local = process.env.SLM_COPILOT_ENGINE_TARBALL;
  if (local) {
    log(`using ${local} (SLM_COPILOT_ENGINE_TARBALL)`);
    return local;
  }
  log(`npm pack ${lock.package}@${lock.version}`);
  const out = run('npm', ['pack', `${lock.package}@${lock.version}`, '--pack-destination', dir, '--json'], {
    cwd: dir,
  });
  const [info] = JSON.parse(out) as Array<{ filename: string }>;
  if (!info) throw new EngineError('npm pack printed no file name');
  return join(dir, info.filename);
}

// --- engine -------------------------------------------------------------------------------------------------------

function elapsed(start: number): string {
  return `${((Date.now() - start) / 1000).toFixed(1)} s`;
}

/** Moves a finished staging directory into place; a broken entry already there is moved aside and removed. */
function publish(staging: string, final: string): void {
  if (existsSync(final)) {
    const aside = `${final}.broken-${process.pid}`;
    renameSync(final, aside);
    rmSync(aside, { recursive: true, force: true });
  }
  renameSync(staging, final);
}

export function buildEngine(layout: EngineLayout, lock: EngineLock, log: Log = defaultLog): void {
  requireTools(BUILD_TOOLS, 'building llama-server');
  const start = Date.now();
  const parent = join(layout.dir, '..');
  mkdirSync(parent, { recursive: true });
  const work = join(parent, `.work-${layout.key}-${process.pid}`);
  const staging = join(parent, `.staging-${layout.key}-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const logFile = join(parent, `build-${layout.key}.log`);
  writeFileSync(logFile, '');
  try {
    const tarball = fetchTarball(lock, work, log);
    verifyTarball(tarball, lock.integrity);
    log(`${lock.package}-${lock.version} matches the committed sha512`);
    run('tar', ['-xzf', tarball, '-C', work, lock.bundle]);
    const src = join(work, 'llama.cpp');
    run('git', ['clone', '--quiet', join(work, lock.bundle), src]);
    const head = run('git', ['rev-parse', 'HEAD'], { cwd: src }).trim();
    if (head !== lock.llamaCppCommit) {
      throw new EngineError(
        `the bundle's llama.cpp is ${head}, engine.lock.json says ${lock.llamaCppCommit}`,
      );
    }
    const jobs = process.env.SLM_COPILOT_ENGINE_JOBS || String(availableParallelism());
    log(`building llama-server (llama.cpp ${head.slice(0, 10)}, ${jobs} jobs; log: ${logFile})`);
    const build = join(work, 'build');
    run(
      'cmake',
      [
        '-S',
        src,
        '-B',
        build,
        '-DCMAKE_BUILD_TYPE=Release',
        '-DBUILD_SHARED_LIBS=OFF',
        '-DLLAMA_CURL=OFF',
        '-DLLAMA_BUILD_TESTS=OFF',
        '-DLLAMA_BUILD_EXAMPLES=OFF',
      ],
      { logFile },
    );
    run('cmake', ['--build', build, '--config', 'Release', '--target', 'llama-server', '-j', jobs], {
      logFile,
    });

    mkdirSync(join(staging, 'bin'), { recursive: true });
    mkdirSync(join(staging, 'vocab'), { recursive: true });
    copyFileSync(join(build, 'bin', 'llama-server'), join(staging, 'bin', 'llama-server'));
    chmodSync(join(staging, 'bin', 'llama-server'), 0o755);
    copyFileSync(join(src, lock.vocab), join(staging, 'vocab', lock.vocab.split('/').pop() as string));
    cpSync(join(src, 'gguf-py'), join(staging, 'gguf-py'), { recursive: true });
    cpSync(join(src, 'LICENSE'), join(staging, 'LICENSE'));
    const inputs = currentEngineInputs(lock);
    writeFileSync(
      join(staging, STAMP),
      `${JSON.stringify({ ...inputs, llamaCppCommit: head, built: new Date().toISOString(), seconds: (Date.now() - start) / 1000 }, null, 2)}\n`,
    );
    publish(staging, layout.dir);
    log(`built in ${elapsed(start)}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(staging, { recursive: true, force: true });
  }
}

/** The engine for this machine, built when the cache lacks it or holds a broken one (saying which). */
export function ensureEngine(opts: { root?: string; lock?: EngineLock; log?: Log } = {}): EngineLayout {
  const lock = opts.lock ?? readLock();
  const log = opts.log ?? defaultLog;
  const root = opts.root ?? cacheRoot();
  const layout = engineLayout(root, engineKey(currentEngineInputs(lock)), lock);
  const check = checkEngineCache(layout);
  if (check.ok) return layout;
  log(`${check.reason}, ${check.reason.startsWith('no cache') ? 'building' : 'rebuilding'}`);
  buildEngine(layout, lock, log);
  const again = checkEngineCache(layout);
  if (!again.ok) throw new EngineError(`after the build: ${again.reason}`);
  return layout;
}

// --- models -----------------------------------------------------------------------------------------------------

/** Runs tools/engine/make_model.py with the cached gguf-py; returns the seconds it took. */
export function generateModel(engine: EngineLayout, size: ModelSize, out: string): number {
  requireTools(MODEL_TOOLS, 'generating the model');
  const python = findPython() as string;
  const start = Date.now();
  const r = spawnSync(
    python,
    [MODEL_SCRIPT, '--vocab', engine.vocab, '--params', JSON.stringify(size), '--out', out],
    { encoding: 'utf8', env: { ...process.env, PYTHONPATH: engine.ggufPy }, maxBuffer: 16 * 1024 * 1024 },
  );
  if (r.error || r.status !== 0) {
    throw new EngineError(`make_model.py (${size.name}) failed: ${r.error?.message ?? ''}${r.stderr ?? ''}`);
  }
  return (Date.now() - start) / 1000;
}

export function ensureModel(
  engine: EngineLayout,
  size: ModelSize,
  opts: { root?: string; lock?: EngineLock; log?: Log } = {},
): ModelLayout {
  const lock = opts.lock ?? readLock();
  const log = opts.log ?? defaultLog;
  const layout = modelLayout(opts.root ?? cacheRoot(), size, lock);
  const check = checkModelCache(layout);
  if (check.ok) return layout;
  log(`${check.reason} (${size.name}), generating`);
  const staging = `${layout.dir}.staging-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    const file = join(staging, layout.file.split('/').pop() as string);
    const seconds = generateModel(engine, size, file);
    const stamp = { bytes: statSync(file).size, sha256: fileSha256(file), seconds, size };
    writeFileSync(join(staging, STAMP), `${JSON.stringify(stamp, null, 2)}\n`);
    publish(staging, layout.dir);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  // Older generations of this size (another script or parameters) are dead weight: hundreds of MB for the slow one.
  const models = join(layout.dir, '..');
  const current = layout.dir.split('/').pop() as string;
  for (const name of readdirSync(models)) {
    if (name.startsWith(`${size.name}-`) && name !== current && !name.includes('.staging-')) {
      log(`removing ${name} (an older ${size.name} model)`);
      rmSync(join(models, name), { recursive: true, force: true });
    }
  }
  return layout;
}

/** Removes entries of other keys' interrupted runs (".work-*", ".staging-*") left by killed processes. */
function sweepLeftovers(root: string): void {
  for (const sub of ['engine', 'models']) {
    const dir = join(root, sub);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      const m = /[.-](?:work|staging)-(?:[0-9a-f]+-)?(\d+)$/.exec(name);
      if (m && !isAlive(Number(m[1]))) rmSync(join(dir, name), { recursive: true, force: true });
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function main(argv: string[]): void {
  const start = Date.now();
  const engineOnly = argv.includes('--engine-only');
  const modelsArg = argv.find((a) => a.startsWith('--models='))?.slice('--models='.length);
  const sizes = (modelsArg ? modelsArg.split(',') : Object.keys(MODEL_SIZES)) as ModelSizeName[];
  for (const s of sizes) {
    if (!(s in MODEL_SIZES))
      throw new EngineError(`unknown model size ${s} (known: ${Object.keys(MODEL_SIZES)})`);
  }
  const root = cacheRoot();
  mkdirSync(root, { recursive: true });
  sweepLeftovers(root);
  const lock = readLock();
  const engine = ensureEngine({ root, lock });
  console.log(`llama-server ${engine.server}`);
  if (!engineOnly) {
    console.log(
      'models (answers are noise; tokens, timings and caching are real; token counts follow the borrowed llama-bpe\n' +
        "tokenizer, in which Devstral's markers are plain text, not control tokens):",
    );
    for (const s of sizes) {
      const model = ensureModel(engine, MODEL_SIZES[s], { root, lock });
      const stamp = readModelStamp(model);
      console.log(
        `  ${s.padEnd(5)} ${model.file} (${(stamp.bytes / 1e6).toFixed(1)} MB, sha256 ${stamp.sha256.slice(0, 16)}…)`,
      );
    }
  }
  console.log(`engine: ready in ${elapsed(start)}`);
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    if (err instanceof EngineError) {
      console.error(`engine: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
}
