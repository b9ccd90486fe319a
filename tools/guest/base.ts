/**
 * The base layer: a Debian 12 system built by debootstrap plus, by chroot, the kernel and every package the
 * image's guest scripts would install or the harness needs (sshd, curl, udev, kmod, iproute2, qemu-guest-agent).
 * Cached outside the clone under <cache>/guest/<key>, where the key hashes all of its inputs, and written
 * atomically (built beside it, then renamed). It holds rootfs/ (the folder), vmlinuz and initrd.img.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { PACKAGES as INSTALL_STAGE_PACKAGES } from '../../src/appliance/stages/install.ts';
import { Chroot } from './chroot.ts';
import { log, must } from './run.ts';

/** Bump when the way a layer is built changes: it is part of the base layer's cache key. */
export const HARNESS_VERSION = '1';

export const SUITE = 'bookworm';
export const DEBOOTSTRAP_INCLUDE = ['systemd', 'systemd-sysv', 'dbus'] as const;
/** What the harness needs in every guest (the list) and the kernel the VM boots. */
export const HARNESS_PACKAGES = [
  'linux-image-amd64',
  'openssh-server',
  'curl',
  'udev',
  'kmod',
  'iproute2',
  'qemu-guest-agent',
  'procps',
  'tzdata',
] as const;

export function cacheRoot(): string {
  const base =
    process.env.SLM_COPILOT_CACHE ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'slm-copilot');
  return join(base, 'guest');
}

/** The Debian mirror debootstrap and apt use in the chroot (only the build uses it; the booted guest never). */
export function debianMirror(): string {
  return process.env.SLM_GUEST_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';
}

export interface BaseInputs {
  readonly harnessVersion: string;
  readonly suite: string;
  readonly mirror: string;
  readonly variant: string;
  readonly debootstrapInclude: readonly string[];
  readonly harnessPackages: readonly string[];
  /** `slm-copilot install`'s apt packages: preinstalled so the per-run install finds them (as the image's apt does). */
  readonly guestScriptPackages: readonly string[];
}

export function baseInputs(): BaseInputs {
  return {
    harnessVersion: HARNESS_VERSION,
    suite: SUITE,
    mirror: debianMirror(),
    variant: 'minbase',
    debootstrapInclude: [...DEBOOTSTRAP_INCLUDE],
    harnessPackages: [...HARNESS_PACKAGES],
    guestScriptPackages: [...INSTALL_STAGE_PACKAGES],
  };
}

export function baseKey(inputs: BaseInputs = baseInputs()): string {
  return createHash('sha256').update(JSON.stringify(inputs)).digest('hex').slice(0, 16);
}

export interface BaseLayer {
  readonly dir: string;
  readonly rootfs: string;
  readonly kernel: string;
  readonly initrd: string;
  /** True when this call built it (a cold cache). */
  readonly built: boolean;
  readonly seconds: number;
}

function layer(dir: string, built: boolean, seconds: number): BaseLayer {
  return {
    dir,
    rootfs: join(dir, 'rootfs'),
    kernel: join(dir, 'vmlinuz'),
    initrd: join(dir, 'initrd.img'),
    built,
    seconds,
  };
}

/** The cached base layer for these inputs, built first when missing. */
export async function ensureBaseLayer(): Promise<BaseLayer> {
  const started = Date.now();
  const inputs = baseInputs();
  const guestDir = cacheRoot();
  const dir = join(guestDir, baseKey(inputs));
  if (existsSync(join(dir, 'inputs.json'))) {
    log(`base layer: cached ${dir}`);
    return layer(dir, false, 0);
  }
  mkdirSync(guestDir, { recursive: true });
  const work = join(guestDir, `.building-${baseKey(inputs)}-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    await build(work, inputs);
  } catch (error) {
    rmSync(work, { recursive: true, force: true });
    throw error;
  }
  try {
    renameSync(work, dir);
  } catch (error) {
    // Another run finished the same layer first: use theirs.
    rmSync(work, { recursive: true, force: true });
    if (!existsSync(join(dir, 'inputs.json'))) throw error;
  }
  const seconds = (Date.now() - started) / 1000;
  log(`base layer: built ${dir} in ${seconds.toFixed(0)} s`);
  return layer(dir, true, seconds);
}

async function build(work: string, inputs: BaseInputs): Promise<void> {
  const rootfs = join(work, 'rootfs');
  log(`base layer: debootstrap --variant=${inputs.variant} ${inputs.suite} from ${inputs.mirror}`);
  await must(
    'debootstrap',
    [
      `--variant=${inputs.variant}`,
      `--include=${inputs.debootstrapInclude.join(',')}`,
      inputs.suite,
      rootfs,
      inputs.mirror,
    ],
    { nice: true, echo: false },
  );
  writeFileSync(join(rootfs, 'etc/apt/sources.list'), `deb ${inputs.mirror} ${inputs.suite} main\n`);
  // No service starts while packages install in the chroot (removed below: the guest scripts set their own).
  writeFileSync(join(rootfs, 'usr/sbin/policy-rc.d'), '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  await Chroot.with(rootfs, async (chroot) => {
    await chroot.must(['apt-get', 'update']);
    await chroot.must([
      'apt-get',
      'install',
      '-y',
      '--no-install-recommends',
      ...inputs.harnessPackages,
      ...inputs.guestScriptPackages,
    ]);
    await chroot.must(['apt-get', 'clean']);
  });
  rmSync(join(rootfs, 'usr/sbin/policy-rc.d'), { force: true });
  // What a cloud image comes with: a time zone, a locale, a host name, the root file system in fstab.
  rmSync(join(rootfs, 'etc/localtime'), { force: true });
  await must('ln', ['-s', '/usr/share/zoneinfo/Etc/UTC', join(rootfs, 'etc/localtime')]);
  writeFileSync(join(rootfs, 'etc/timezone'), 'Etc/UTC\n');
  writeFileSync(join(rootfs, 'etc/default/locale'), 'LANG=C.UTF-8\n');
  writeFileSync(join(rootfs, 'etc/locale.conf'), 'LANG=C.UTF-8\n');
  writeFileSync(join(rootfs, 'etc/hostname'), 'slm-copilot\n');
  writeFileSync(
    join(rootfs, 'etc/hosts'),
    '127.0.0.1 localhost\n127.0.1.1 slm-copilot\n::1 localhost ip6-localhost\n',
  );
  writeFileSync(join(rootfs, 'etc/fstab'), '/dev/vda / ext4 rw,discard 0 1\n');
  const boot = readdirSync(join(rootfs, 'boot'));
  const kernel = boot.find((name) => name.startsWith('vmlinuz-'));
  const initrd = boot.find((name) => name.startsWith('initrd.img-'));
  if (kernel === undefined || initrd === undefined)
    throw new Error(`no kernel or initrd in ${rootfs}/boot: ${boot.join(' ')}`);
  copyFileSync(join(rootfs, 'boot', kernel), join(work, 'vmlinuz'));
  copyFileSync(join(rootfs, 'boot', initrd), join(work, 'initrd.img'));
  writeFileSync(join(work, 'inputs.json'), `${JSON.stringify({ ...inputs, kernel, initrd }, null, 2)}\n`);
}
