/**
 * `slm-copilot lock`: refresh the pins of artifacts.lock.json from the publishers, show the diff, and write the
 * file only with --write and only when no artifact was refused (a refusal leaves the whole file as it was).
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { curlHttp, type Http } from '../download/http.ts';
import { applianceLockProblems } from '../lock/appliance.ts';
import { serializeLock } from '../lock/lock.ts';
import { parseLock } from '../lock/validateLock.ts';
import { diffLocks } from '../publishers/publisherPins.ts';
import { type Archiver, skopeoArchiver } from './files.ts';
import { refreshLock } from './refresh.ts';

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
