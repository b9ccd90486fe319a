/** Keeps the previous bytes and modes of files about to be rewritten, to put them back if validation fails. */
import { chmodSync, readFileSync, rmSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { writeAtomically } from '../apply/files.ts';

interface Previous {
  readonly path: string;
  readonly content: Buffer | null;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

export interface Snapshot {
  restore(): void;
}

export function snapshot(root: string, paths: readonly string[]): Snapshot {
  const previous: Previous[] = paths.map((path) => {
    const full = posix.join(root, path);
    try {
      const stats = statSync(full);
      return {
        path: full,
        content: readFileSync(full),
        mode: stats.mode & 0o7777,
        uid: stats.uid,
        gid: stats.gid,
      };
    } catch {
      return { path: full, content: null, mode: 0, uid: 0, gid: 0 };
    }
  });
  return {
    restore() {
      for (const entry of previous) {
        if (entry.content === null) {
          rmSync(entry.path, { force: true });
        } else {
          writeAtomically(
            entry.path,
            entry.content.toString('utf8'),
            entry.mode,
            process.getuid?.() === 0 ? { uid: entry.uid, gid: entry.gid } : null,
          );
          chmodSync(entry.path, entry.mode);
        }
      }
    },
  };
}
