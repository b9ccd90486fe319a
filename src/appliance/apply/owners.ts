/** User and group ids from passwd/group files under a root (the real ones when root is '/'). */
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import type { OwnerResolver } from './files.ts';

/** name → id from `name:x:id:…` lines (passwd: third field is the uid; group: third field is the gid). */
export function parseIdFile(text: string): Map<string, number> {
  const ids = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [name, , id] = line.split(':');
    if (name && id !== undefined && /^\d+$/.test(id)) ids.set(name, Number(id));
  }
  return ids;
}

/** Reads the files when asked, so users created after this was made (install creates them) are found. */
export function ownersUnder(root: string): OwnerResolver {
  const lookup = (file: string, name: string) => {
    let ids = new Map<string, number>();
    try {
      ids = parseIdFile(readFileSync(posix.join(root, file), 'utf8'));
    } catch {
      // reported below as a missing name
    }
    const id = ids.get(name);
    if (id === undefined) {
      throw new Error(
        `"${name}" is not in ${posix.join(root, file)}; the install stage creates the appliance's users`,
      );
    }
    return id;
  };
  return { uid: (user) => lookup('/etc/passwd', user), gid: (group) => lookup('/etc/group', group) };
}
