/**
 * Starts llama.cpp's llama-server (built by `make engine`) on a free loopback port, run as LocalAI v4.9.0's
 * llama-cpp backend runs it (see the flag table in tools/engine/README.md), waits until it is ready and stops it.
 * For tests; never bundled, never shipped.
 *
 * The models it serves are generated: answers are noise; tokens, timings and caching are real. Token counts follow
 * the borrowed tokenizer (llama-bpe), and Devstral's markers are plain text in it, not control tokens.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import {
  cacheRoot,
  checkEngineCache,
  checkModelCache,
  currentEngineInputs,
  type EngineLayout,
  engineKey,
  engineLayout,
  MODEL_SIZES,
  type ModelLayout,
  type ModelSizeName,
  modelLayout,
  readLock,
} from './cache.ts';

/** The model id LocalAI lists (the appliance's model name); llama-server answers to it through --alias. */
export const MODEL_ID = 'devstral-small-2';

export class EngineMissingError extends Error {}

/** The cached engine for this machine, or an error that says to run `make engine` (and why the cache is unusable). */
export function locateEngine(root = cacheRoot()): EngineLayout {
  const lock = readLock();
  const engine = engineLayout(root, engineKey(currentEngineInputs(lock)), lock);
  const e = checkEngineCache(engine);
  if (!e.ok)
    throw new EngineMissingError(`llama-server is not built for this machine (${e.reason}): run make engine`);
  return engine;
}

/** The cached test model of that size, or an error that says to run `make engine`. */
export function locateModel(size: ModelSizeName, root = cacheRoot()): ModelLayout {
  const model = modelLayout(root, MODEL_SIZES[size], readLock());
  const m = checkModelCache(model);
  if (!m.ok)
    throw new EngineMissingError(`the ${size} test model is not generated (${m.reason}): run make engine`);
  return model;
}

export function locate(
  size: ModelSizeName = 'small',
  root = cacheRoot(),
): { engine: EngineLayout; model: string } {
  return { engine: locateEngine(root), model: locateModel(size, root).file };
}

export interface EngineOptions {
  readonly size?: ModelSizeName;
  /** Context window (LocalAI: context_size; the appliance sizes it per host, 32768 in the golden files). */
  readonly contextSize?: number;
  /** Host prompt cache in MiB (LocalAI option cache_ram; the appliance sizes it, 8192 in the golden files). */
  readonly cacheRamMib?: number;
  /** Generation cap: random weights rarely emit end-of-sequence (LocalAI: none unless the request sets one). */
  readonly maxTokens?: number;
  readonly threads?: number;
  /** Appended after the standard flags (a later flag overrides an earlier one). */
  readonly extraArgs?: readonly string[];
  readonly readyTimeoutMs?: number;
  readonly root?: string;
  /** Listen here (a restart on the port a relay already points at); a free port when absent. */
  readonly port?: number;
}

/** llama-server's flags for one run, LocalAI-style (tools/engine/README.md compares them flag by flag). */
export function engineArgs(model: string, port: number, opts: EngineOptions = {}): string[] {
  return [
    ...['-m', model, '--host', '127.0.0.1', '--port', String(port)],
    ...['--alias', MODEL_ID, '--jinja', '--no-webui'],
    ...['-np', '1', '--kv-unified', '-b', '512', '-ub', '512', '-fa', 'off'],
    ...['-ctk', 'f16', '-ctv', 'f16', '-c', String(opts.contextSize ?? 8192)],
    ...[
      '--cache-ram',
      String(opts.cacheRamMib ?? 512),
      '--ctx-checkpoints',
      '32',
      '--checkpoint-min-step',
      '256',
    ],
    ...['-t', String(opts.threads ?? availableParallelism()), '--temp', '0.15'],
    ...['--metrics', '-n', String(opts.maxTokens ?? 256)],
    ...(opts.extraArgs ?? []),
  ];
}

export interface RunningEngine {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  readonly args: readonly string[];
  readonly pid: number;
  /** Everything llama-server printed so far (stdout and stderr, the last 4 MB). */
  log(): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const address = srv.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  srv.close();
  await once(srv, 'close');
  return port;
}

const LOG_LIMIT = 4 * 1024 * 1024;

/** Starts llama-server and resolves once /health answers 200 (it answers 503 while the model loads). */
export async function startEngine(opts: EngineOptions = {}): Promise<RunningEngine> {
  const { engine, model } = locate(opts.size ?? 'small', opts.root);
  const port = opts.port ?? (await freePort());
  const args = engineArgs(model, port, opts);
  const child = spawn(engine.server, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    if (output.length > LOG_LIMIT) output = output.slice(-LOG_LIMIT);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let exited: string | undefined;
  const exit = once(child, 'exit').then(([code, signal]) => {
    exited = signal ? `killed by ${signal}` : `exit ${code}`;
  });
  child.on('error', (err) => {
    exited = `could not run ${engine.server}: ${err.message}`;
  });
  const url = `http://127.0.0.1:${port}`;
  const running: RunningEngine = {
    url,
    port,
    args,
    pid: child.pid as number,
    log: () => output,
    stop: () => stopChild(child, exit),
  };

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 120_000);
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (exited) {
      throw new Error(
        `llama-server stopped before it was ready (${exited}):\n${output.split('\n').slice(-20).join('\n')}`,
      );
    }
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 200) return running;
      last = `/health answered ${res.status}`;
    } catch (err) {
      last = `/health: ${(err as Error).message}`;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await running.stop();
  throw new Error(`llama-server was not ready within ${opts.readyTimeoutMs ?? 120_000} ms (${last})`);
}

async function stopChild(child: ChildProcess, exit: Promise<void>): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  try {
    await exit;
  } finally {
    clearTimeout(timer);
  }
}
