/**
 * The learned prefixes on disk, in the relay's state directory: one JSON file, mode 0600, owned by the relay's
 * user, replaced atomically (temporary file + rename). A store that cannot be parsed, is not a regular file, is
 * owned by another user or is readable by others is never trusted: it is deleted with one log line. Content is
 * never logged.
 */
import {
  chmodSync,
  closeSync,
  fsyncSync,
  lstatSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { type PrefixEntry, parseEntries, serialiseEntries } from './prefixes.ts';

export interface PrefixStoreFile {
  readonly path: string;
  readonly log: (line: string) => void;
  /** The uid the file must belong to; default: this process's. */
  readonly uid?: number;
}

/** The stored entries; [] when there is no store or it was discarded. */
export function loadPrefixes(store: PrefixStoreFile): PrefixEntry[] {
  const { path, log } = store;
  let stat: ReturnType<typeof lstatSync>;
  try {
    stat = lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    log(
      `relay: warm-up store ${path} cannot be read (${(error as NodeJS.ErrnoException).code}); starting empty`,
    );
    return [];
  }
  const uid = store.uid ?? process.getuid?.() ?? stat.uid;
  const reason = !stat.isFile()
    ? 'is not a regular file'
    : stat.uid !== uid
      ? `is owned by uid ${stat.uid}, not ${uid}`
      : (stat.mode & 0o077) !== 0
        ? `has mode ${(stat.mode & 0o777).toString(8)}, not 600`
        : null;
  if (reason !== null) return discard(store, reason);
  let entries: PrefixEntry[] | null;
  try {
    entries = parseEntries(JSON.parse(readFileSync(path, 'utf8')));
  } catch {
    entries = null;
  }
  return entries ?? discard(store, 'is not a valid store');
}

function discard(store: PrefixStoreFile, reason: string): [] {
  store.log(`relay: warm-up store ${store.path} ${reason}; discarded, not trusted`);
  deletePrefixes(store.path);
  return [];
}

/** Writes the entries atomically, 0600. Throws on failure (the caller logs it without content). */
export function savePrefixes(path: string, entries: readonly PrefixEntry[]): void {
  const temporary = `${path}.${process.pid}.tmp`;
  const fd = openSync(temporary, 'w', 0o600);
  try {
    writeSync(fd, serialiseEntries(entries));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  // open()'s mode is filtered by the umask and ignored for an existing file: set it explicitly.
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
}

export function deletePrefixes(path: string): void {
  rmSync(path, { force: true });
  rmSync(`${path}.${process.pid}.tmp`, { force: true });
}
