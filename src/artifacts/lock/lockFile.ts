/** Reading the lock file from disk (the only IO of the lock): the schema, then the appliance's own checks. */
import { readFileSync } from 'node:fs';
import { applianceLockProblems } from './appliance.ts';
import { type LockResult, parseLock } from './validateLock.ts';

export interface ReadLockOptions {
  /** Also require every artifact the appliance needs (default true; false for a partial lock in tests). */
  readonly appliance?: boolean;
}

export function readLockFile(path: string, options: ReadLockOptions = {}): LockResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return { ok: false, problems: [`cannot read the lock file ${path}: ${(error as Error).message}`] };
  }
  const result = parseLock(text, path);
  if (!result.ok || options.appliance === false) return result;
  const problems = applianceLockProblems(result.lock);
  return problems.length === 0
    ? result
    : { ok: false, problems: problems.map((problem) => `${path}: ${problem}`) };
}
