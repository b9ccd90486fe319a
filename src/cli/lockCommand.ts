/**
 * `slm-copilot lock` (`make lock`): refresh the pins of artifacts.lock.json from the publishers' own checksum
 * sources, show the diff, and write the file only with --write and only when no artifact was refused (a refusal
 * leaves the whole file as it was). The refresh itself is src/artifacts/refresh/refresh.ts; the file and the exit
 * codes are this command's.
 */

import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import { curlHttp, type Http } from '../artifacts/download/curl.ts';
import type { Pinning } from '../artifacts/image/preflight.ts';
import { applianceLockProblems } from '../artifacts/lock/appliance.ts';
import { type ArtifactLock, isPinned, serializeLock } from '../artifacts/lock/lock.ts';
import { parseLock } from '../artifacts/lock/validateLock.ts';
import { diffLocks } from '../artifacts/publishers/pins.ts';
import { type Archiver, skopeoArchiver } from '../artifacts/refresh/files.ts';
import { type RefreshResult, refreshLock } from '../artifacts/refresh/refresh.ts';
import { EXIT } from '../core/lib/failure.ts';
import { type Cli, writeLine } from './cli.ts';

const list = (value: string, previous: string[] = []) => [
  ...previous,
  ...value
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== ''),
];

export function registerLockCommand(program: Command, { io, action }: Cli): void {
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
      action(
        (options: { lock: string; artifacts: string; write?: boolean; only?: string[]; update?: string[] }) =>
          runLockCommand(
            {
              lock: options.lock,
              artifacts: options.artifacts,
              write: options.write === true,
              ...(options.only === undefined ? {} : { only: options.only }),
              ...(options.update === undefined ? {} : { update: options.update }),
            },
            { out: writeLine(io.stdout), err: writeLine(io.stderr), env: io.env },
          ),
      ),
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

interface Refreshed {
  readonly path: string;
  readonly before: ArtifactLock;
  readonly result: RefreshResult;
  /** One line per changed field (empty: the lock stays as it is). */
  readonly diff: readonly string[];
  /** Refusals and appliance problems the refresh introduced; any of them means nothing may be written. */
  readonly problems: readonly string[];
}

/** Reads and refreshes the lock (nothing written); null when the file is unusable (already reported). */
async function refreshFile(
  options: LockCommandOptions,
  io: LockCommandIo,
  only: (lock: ArtifactLock) => readonly string[] | undefined = () => options.only,
): Promise<Refreshed | null> {
  const path = resolve(options.lock);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    io.err(`cannot read the lock file ${path}: ${(error as Error).message}`);
    return null;
  }
  const parsed = parseLock(text, path);
  if (!parsed.ok) {
    for (const problem of parsed.problems) io.err(problem);
    return null;
  }
  io.out(`lock: ${path}; files go to ${resolve(options.artifacts)}`);
  const names = only(parsed.lock);
  const result = await refreshLock({
    lock: parsed.lock,
    ...(names === undefined ? {} : { only: names }),
    ...(options.update === undefined ? {} : { update: options.update }),
    artifactsDir: resolve(options.artifacts),
    http: io.http ?? curlHttp({ env: io.env }),
    archiver: io.archiver ?? skopeoArchiver(io.env),
    say: (line) => io.out(`  ${line}`),
  });
  const diff = diffLocks(parsed.lock, result.lock);
  const problems = [...result.problems, ...applianceLockProblems(result.lock).filter(isNew(parsed.lock))];
  return { path, before: parsed.lock, result, diff, problems };
}

function writeLock(path: string, lock: ArtifactLock): void {
  const temporary = `${path}.tmp`;
  writeFileSync(temporary, serializeLock(lock));
  renameSync(temporary, path);
}

function reportRefresh(refreshed: Refreshed, io: LockCommandIo): void {
  io.out('');
  for (const outcome of refreshed.result.outcomes) {
    if (outcome.status !== 'skipped') io.out(`${outcome.name}: ${outcome.status}`);
  }
  const { diff } = refreshed;
  io.out(
    diff.length === 0 ? 'no change to the lock' : `changes:\n${diff.map((line) => `  ${line}`).join('\n')}`,
  );
}

function reportRefusal(refreshed: Refreshed, io: LockCommandIo): void {
  io.err(`refused, nothing written to ${refreshed.path}:`);
  for (const problem of refreshed.problems) io.err(`  - ${problem}`);
}

/** 0: refreshed (written with --write); 1: a publisher or file was refused, nothing written; 2: unusable input. */
export async function runLockCommand(options: LockCommandOptions, io: LockCommandIo): Promise<number> {
  const refreshed = await refreshFile(options, io);
  if (refreshed === null) return EXIT.refused;
  reportRefresh(refreshed, io);
  if (refreshed.problems.length > 0) {
    reportRefusal(refreshed, io);
    return EXIT.failed;
  }
  if (!options.write) {
    io.out(
      refreshed.diff.length === 0
        ? 'dry run: nothing to write'
        : `dry run: run again with --write to update ${refreshed.path}`,
    );
    return EXIT.ok;
  }
  if (refreshed.diff.length > 0) {
    writeLock(refreshed.path, refreshed.result.lock);
    io.out(`written: ${refreshed.path} (review the diff above and commit it)`);
  }
  return EXIT.ok;
}

/**
 * `make image` on a connected build host: pins the artifacts the lock leaves unpinned, exactly as `make lock
 * --only <them>` would (the publisher's own checksum, the downloaded bytes checked against it), and writes the
 * lock when every one of them was pinned. Pinned entries are never touched (re-pinning stays `make lock
 * --update`). What happened goes to preflight, which says it once.
 */
export async function pinUnpinned(
  options: Pick<LockCommandOptions, 'lock' | 'artifacts'>,
  io: LockCommandIo,
): Promise<Pinning> {
  const http = io.http ?? curlHttp({ env: io.env });
  const unreachable = await noPublisherAnswers(options.lock, http);
  if (unreachable !== null) return { kind: 'unreachable', reason: unreachable };
  let unpinned: string[] = [];
  const refreshed = await refreshFile({ ...options, write: true }, { ...io, http }, (lock) => {
    unpinned = lock.artifacts.filter((entry) => !isPinned(entry)).map((entry) => entry.name);
    return unpinned;
  });
  // An unusable lock file is preflight's to report (it reads the same file).
  if (refreshed === null) return { kind: 'unusable' };
  if (unpinned.length === 0) return { kind: 'not-needed' };
  const refused = refreshed.result.outcomes.flatMap((outcome) =>
    outcome.status === 'refused' ? [outcome] : [],
  );
  if (refused.length > 0 && refused.every((outcome) => outcome.unreachable === true)) {
    return { kind: 'unreachable', reason: refused[0]?.problems[0] ?? 'no answer' };
  }
  reportRefresh(refreshed, io);
  if (refreshed.problems.length > 0) {
    reportRefusal(refreshed, io);
    return { kind: 'refused' };
  }
  writeLock(refreshed.path, refreshed.result.lock);
  io.out(`pinned ${unpinned.join(', ')} in ${refreshed.path} from their publishers' own checksums.`);
  io.out(
    `REVIEW AND COMMIT the new pins: git diff ${basename(refreshed.path)} (every later build verifies against them).`,
  );
  return { kind: 'pinned', names: unpinned };
}

/**
 * When the lock has unpinned artifacts and not one of their publishers answers a single quick request (all at
 * once), why the first did not; null otherwise (nothing to pin, an unreadable lock, or someone answered).
 */
async function noPublisherAnswers(lockPath: string, http: Http): Promise<string | null> {
  let lock: ArtifactLock;
  try {
    const parsed = parseLock(readFileSync(resolve(lockPath), 'utf8'), lockPath);
    if (!parsed.ok) return null;
    lock = parsed.lock;
  } catch {
    return null;
  }
  const unpinned = lock.artifacts.filter((entry) => !isPinned(entry));
  if (unpinned.length === 0) return null;
  const answers = await Promise.all(unpinned.map((entry) => http.probe(entry.source.url)));
  if (answers.some((answer) => answer === null)) return null;
  return `"${unpinned[0]?.name}": ${http.describe(unpinned[0]?.source.url ?? '')}: ${answers[0]}`;
}

/** Appliance problems the refresh introduced (e.g. a pin in a moving directory), not those the file already had. */
function isNew(before: Parameters<typeof applianceLockProblems>[0]) {
  const existing = new Set(applianceLockProblems(before));
  return (problem: string) => !existing.has(problem);
}
