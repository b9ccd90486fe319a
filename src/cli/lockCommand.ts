/**
 * `slm-copilot lock` (`make lock`): refresh the pins of artifacts.lock.json from the publishers' own checksum
 * sources, show the diff, and write the file only with --write and only when no artifact was refused (a refusal
 * leaves the whole file as it was). The refresh itself is src/artifacts/refresh/refresh.ts; the file and the exit
 * codes are this command's.
 */

import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { curlHttp, type Http } from '../artifacts/download/curl.ts';
import { applianceLockProblems } from '../artifacts/lock/appliance.ts';
import { serializeLock } from '../artifacts/lock/lock.ts';
import { parseLock } from '../artifacts/lock/validateLock.ts';
import { diffLocks } from '../artifacts/publishers/pins.ts';
import { type Archiver, skopeoArchiver } from '../artifacts/refresh/files.ts';
import { refreshLock } from '../artifacts/refresh/refresh.ts';

type Exit = (code: number) => void;

const list = (value: string, previous: string[] = []) => [
  ...previous,
  ...value
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== ''),
];

export function registerLockCommand(program: Command, env: NodeJS.ProcessEnv, setExitCode: Exit): void {
  program
    .command('lock')
    .description(
      "refresh the lock's pins from each publisher's own checksum source, verify the downloaded files, show the diff",
    )
    .option('--lock <file>', 'the lock file', 'artifacts.lock.json')
    .option(
      '--artifacts <dir>',
      'where the files are downloaded and kept for the image build',
      'build/artifacts',
    )
    .option('--write', 'write the lock file (only when nothing was refused)')
    .option('--only <names>', 'only these artifacts (comma-separated; repeatable)', list)
    .option(
      '--update <names>',
      'accept a publisher that now states something else than the pin, and re-resolve moving references (reviewed upgrades)',
      list,
    )
    .action(
      async (options: {
        lock: string;
        artifacts: string;
        write?: boolean;
        only?: string[];
        update?: string[];
      }) => {
        const code = await runLockCommand(
          {
            lock: options.lock,
            artifacts: options.artifacts,
            write: options.write === true,
            ...(options.only === undefined ? {} : { only: options.only }),
            ...(options.update === undefined ? {} : { update: options.update }),
          },
          {
            out: (line) => process.stdout.write(`${line}\n`),
            err: (line) => process.stderr.write(`${line}\n`),
            env,
          },
        );
        setExitCode(code);
      },
    );
}

export interface LockCommandOptions {
  readonly lock: string;
  readonly artifacts: string;
  readonly write: boolean;
  readonly only?: readonly string[];
  readonly update?: readonly string[];
}

export interface LockCommandIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly env: NodeJS.ProcessEnv;
  /** Injected by tests (loopback publishers); curl otherwise. */
  readonly http?: Http;
  readonly archiver?: Archiver;
}

/** 0: refreshed (written with --write); 1: a publisher or file was refused, nothing written; 2: unusable input. */
export async function runLockCommand(options: LockCommandOptions, io: LockCommandIo): Promise<number> {
  const path = resolve(options.lock);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    io.err(`cannot read the lock file ${path}: ${(error as Error).message}`);
    return 2;
  }
  const parsed = parseLock(text, path);
  if (!parsed.ok) {
    for (const problem of parsed.problems) io.err(problem);
    return 2;
  }
  io.out(`lock: ${path}; files go to ${resolve(options.artifacts)}`);
  const result = await refreshLock({
    lock: parsed.lock,
    ...(options.only === undefined ? {} : { only: options.only }),
    ...(options.update === undefined ? {} : { update: options.update }),
    artifactsDir: resolve(options.artifacts),
    http: io.http ?? curlHttp({ env: io.env }),
    archiver: io.archiver ?? skopeoArchiver(io.env),
    say: (line) => io.out(`  ${line}`),
  });

  io.out('');
  for (const outcome of result.outcomes) {
    if (outcome.status !== 'skipped') io.out(`${outcome.name}: ${outcome.status}`);
  }
  const diff = diffLocks(parsed.lock, result.lock);
  io.out(
    diff.length === 0 ? 'no change to the lock' : `changes:\n${diff.map((line) => `  ${line}`).join('\n')}`,
  );

  const problems = [...result.problems, ...applianceLockProblems(result.lock).filter(isNew(parsed.lock))];
  if (problems.length > 0) {
    io.err(`refused, nothing written to ${path}:`);
    for (const problem of problems) io.err(`  - ${problem}`);
    return 1;
  }
  if (!options.write) {
    io.out(
      diff.length === 0 ? 'dry run: nothing to write' : `dry run: run again with --write to update ${path}`,
    );
    return 0;
  }
  if (diff.length > 0) {
    const temporary = `${path}.tmp`;
    writeFileSync(temporary, serializeLock(result.lock));
    renameSync(temporary, path);
    io.out(`written: ${path} (review the diff above and commit it)`);
  }
  return 0;
}

/** Appliance problems the refresh introduced (e.g. a pin in a moving directory), not those the file already had. */
function isNew(before: Parameters<typeof applianceLockProblems>[0]) {
  const existing = new Set(applianceLockProblems(before));
  return (problem: string) => !existing.has(problem);
}
