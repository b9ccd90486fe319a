/** Runs the built bundle's stages against a root prefix, the way the one-apps hook would on a boot. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APPLIANCE_USERS, addUsersUnder } from '../../src/appliance/host/users.ts';
import { BUNDLE, collect } from './bundle.ts';
import { FIXTURE_HOSTS } from './hosts.ts';

export function newRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'slm-root-'));
  addUsersUnder(root)(APPLIANCE_USERS);
  return root;
}

export interface StageRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `sh -c 'umask 077 && exec node BUNDLE <stage> --root ROOT --proc FIXTURE --context ROOT/context.sh …'`. */
function command(
  root: string,
  stage: string,
  context: readonly string[],
  extra: readonly string[],
  env: Record<string, string>,
) {
  const contextPath = join(root, 'context.sh');
  writeFileSync(contextPath, `${context.join('\n')}\n`);
  const args = [
    BUNDLE,
    stage,
    '--root',
    root,
    '--proc',
    `${FIXTURE_HOSTS}epyc-passthrough-smt-32g`,
    '--context',
    contextPath,
    ...extra,
  ];
  return {
    args: ['-c', 'umask 077 && exec "$@"', 'sh', process.execPath, ...args],
    options: { env: { PATH: process.env.PATH ?? '', ...env } },
  };
}

/** Runs a stage under umask 0077, like the one-apps driver. */
export function runStage(
  root: string,
  stage: string,
  context: readonly string[],
  extra: readonly string[] = [],
  env: Record<string, string> = {},
): StageRun {
  const { args, options } = command(root, stage, context, extra, env);
  const result = spawnSync('sh', args, { ...options, encoding: 'utf8', timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The same, without blocking this process (needed when the test itself serves something the stage calls). */
export function runStageAsync(
  root: string,
  stage: string,
  context: readonly string[],
  extra: readonly string[] = [],
  env: Record<string, string> = {},
): Promise<StageRun> {
  const { args, options } = command(root, stage, context, extra, env);
  return collect(spawn('sh', args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] }), 120_000);
}
