/**
 * Writes planned files under a root prefix: only when content, mode or owner differ, atomically (temp file in the
 * same directory, fsync, rename), with explicit modes whatever the umask (the one-apps driver runs with 0077).
 */
import {
  chmodSync,
  chownSync,
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname, posix } from 'node:path';
import type { ManagedDirectory } from '../../core/facts/layout.ts';
import type { PlannedFile } from '../../core/plan/plan.ts';

/** Turns user and group names into ids; null: do not change ownership (a sandbox run by a normal user). */
export interface OwnerResolver {
  uid(user: string): number;
  gid(group: string): number;
}

export interface ApplyOptions {
  readonly root: string;
  readonly owners: OwnerResolver | null;
  /** Mode for directories the writer has to create. */
  readonly directoryMode?: number;
}

export interface ApplyResult {
  /** Planned paths (not prefixed) whose content, mode or owner changed. */
  readonly changed: readonly string[];
}

export function applyFiles(files: readonly PlannedFile[], options: ApplyOptions): ApplyResult {
  const changed: string[] = [];
  for (const file of files) {
    const target = posix.join(options.root, file.path);
    const owner =
      options.owners === null
        ? null
        : { uid: options.owners.uid(file.owner), gid: options.owners.gid(file.group) };
    if (isCurrent(target, file, owner)) continue;
    mkdirSync(dirname(target), { recursive: true, mode: options.directoryMode ?? 0o755 });
    writeAtomically(target, file.content, file.mode, owner);
    changed.push(file.path);
  }
  return { changed };
}

function isCurrent(path: string, file: PlannedFile, owner: { uid: number; gid: number } | null): boolean {
  try {
    const stats = statSync(path);
    if ((stats.mode & 0o7777) !== file.mode) return false;
    if (owner !== null && (stats.uid !== owner.uid || stats.gid !== owner.gid)) return false;
    return readFileSync(path, 'utf8') === file.content;
  } catch {
    return false;
  }
}

export function writeAtomically(
  path: string,
  content: string,
  mode: number,
  owner: { uid: number; gid: number } | null = null,
): void {
  const temporary = `${path}.slm-copilot-${process.pid}.tmp`;
  const fd = openSync(temporary, 'w', 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  if (owner !== null) chownSync(temporary, owner.uid, owner.gid);
  // chmod after chown: chown clears set-id bits, and the umask never applies to an explicit chmod.
  chmodSync(temporary, mode);
  renameSync(temporary, path);
}

/** Creates the directories (and parents) under root and sets their modes (and owners when resolvable). */
export function ensureDirectories(directories: readonly ManagedDirectory[], options: ApplyOptions): void {
  for (const directory of directories) {
    const path = posix.join(options.root, directory.path);
    mkdirSync(path, { recursive: true, mode: 0o755 });
    if (options.owners !== null) {
      chownSync(path, options.owners.uid(directory.owner), options.owners.gid(directory.group));
    }
    chmodSync(path, directory.mode);
  }
}
