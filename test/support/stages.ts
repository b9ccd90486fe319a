/**
 * Runs the stages against a root prefix, the way the one-apps hook would on a boot: in this process through main
 * (runStageHere), or in the built bundle (runStage, runStageAsync) where the test is about the bundle itself.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APPLIANCE_USERS, addUsersUnder } from '../../src/appliance/host/users.ts';
import { BUNDLE, collect } from './bundle.ts';
import { runMain } from './cli.ts';
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

/** `<stage> --root ROOT --proc FIXTURE --context ROOT/context.sh …`, the context file written. */
function stageArgs(
  root: string,
  stage: string,
  context: readonly string[],
  extra: readonly string[],
): string[] {
  const contextPath = join(root, 'context.sh');
  writeFileSync(contextPath, `${context.join('\n')}\n`);
  return [
    stage,
    '--root',
    root,
    '--proc',
    `${FIXTURE_HOSTS}epyc-passthrough-smt-32g`,
    '--context',
    contextPath,
    ...extra,
  ];
}

/** `sh -c 'umask 077 && exec node BUNDLE <stage> --root ROOT --proc FIXTURE --context ROOT/context.sh …'`. */
function command(
  root: string,
  stage: string,
  context: readonly string[],
  extra: readonly string[],
  env: Record<string, string>,
) {
  return {
    args: [
      '-c',
      'umask 077 && exec "$@"',
      'sh',
      process.execPath,
      BUNDLE,
      ...stageArgs(root, stage, context, extra),
    ],
    options: { env: { PATH: process.env.PATH ?? '', ...env } },
  };
}

/** How a test runs a stage: the root, the stage, the context's lines, more arguments, the environment. */
type StageRunner<R> = (
  root: string,
  stage: string,
  context: readonly string[],
  extra?: readonly string[],
  env?: Record<string, string>,
) => R;

/** Runs a stage in this process under umask 0077, like the one-apps driver (the umask is restored after). */
export const runStageHere: StageRunner<Promise<StageRun>> = async (
  root,
  stage,
  context,
  extra = [],
  env = {},
) => {
  const umask = process.umask(0o077);
  try {
    return await runMain(stageArgs(root, stage, context, extra), env);
  } finally {
    process.umask(umask);
  }
};

/** Runs a stage in the built bundle under umask 0077, like the one-apps driver. */
export const runStage: StageRunner<StageRun> = (root, stage, context, extra = [], env = {}) => {
  const { args, options } = command(root, stage, context, extra, env);
  const result = spawnSync('sh', args, { ...options, encoding: 'utf8', timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
};

/** The same, without blocking this process (needed when the test itself serves something the stage calls). */
export const runStageAsync: StageRunner<Promise<StageRun>> = (root, stage, context, extra = [], env = {}) => {
  const { args, options } = command(root, stage, context, extra, env);
  return collect(spawn('sh', args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] }), 120_000);
};
