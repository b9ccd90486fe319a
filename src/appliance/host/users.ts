/**
 * System users the services run as: `useradd --system` on the machine; under a directory standing in for it,
 * entries added to ROOT/etc/passwd and ROOT/etc/group (seeded from the machine's), so ownership can be checked in
 * tests. Which one a run gets is decided once, by the host port (port.ts).
 */
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { USERS } from '../../core/facts/layout.ts';
import { ranOk, runSync, succeeded } from '../../system/process.ts';
import { parseIdFile } from '../apply/owners.ts';

export interface SystemUser {
  readonly name: string;
  readonly home: string;
  readonly description: string;
}

/** Adds the users that do not exist yet; returns the names added. */
export type AddUsers = (users: readonly SystemUser[]) => string[];

export const addSystemUsers: AddUsers = (users) => users.filter(addSystemUser).map((user) => user.name);

function addSystemUser(user: SystemUser): boolean {
  if (ranOk(runSync('id', ['-u', user.name]))) return false;
  succeeded(
    runSync('useradd', [
      '--system',
      '--user-group',
      '--home-dir',
      user.home,
      '--no-create-home',
      '--shell',
      '/usr/sbin/nologin',
      '--comment',
      user.description,
      user.name,
    ]),
  );
  return true;
}

export const addUsersUnder =
  (root: string): AddUsers =>
  (users) => {
    const passwd = posix.join(root, '/etc/passwd');
    const group = posix.join(root, '/etc/group');
    mkdirSync(posix.join(root, '/etc'), { recursive: true });
    if (!existsSync(passwd)) copyFileSync('/etc/passwd', passwd);
    if (!existsSync(group)) copyFileSync('/etc/group', group);
    const added: string[] = [];
    for (const user of users) {
      const uids = parseIdFile(readFileSync(passwd, 'utf8'));
      if (uids.has(user.name)) continue;
      const gids = parseIdFile(readFileSync(group, 'utf8'));
      let id = 999;
      while ([...uids.values()].includes(id) || [...gids.values()].includes(id)) id--;
      appendFileSync(
        passwd,
        `${user.name}:x:${id}:${id}:${user.description}:${user.home}:/usr/sbin/nologin\n`,
      );
      appendFileSync(group, `${user.name}:x:${id}:\n`);
      added.push(user.name);
    }
    return added;
  };

export const APPLIANCE_USERS: readonly SystemUser[] = [
  { name: USERS.localai, home: '/var/lib/local-ai', description: 'LocalAI inference server' },
  { name: USERS.relay, home: '/var/lib/slm-copilot-relay', description: 'SLM-Copilot relay' },
];
