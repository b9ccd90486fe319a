/**
 * Running commands inside a guest file system by chroot, as apt and the image's guest scripts need it: /proc,
 * /sys, /dev and /dev/pts bound from the host, a tmpfs on /run (as a booted system has), the host's resolver for
 * the Debian mirror. Everything is unmounted again before the folder becomes a disk (`mke2fs -d` would copy the
 * host's /proc otherwise).
 */
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { log, must, type RunResult, run } from './run.ts';

export const CHROOT_ENV: NodeJS.ProcessEnv = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: '/root',
  LANG: 'C.UTF-8',
  DEBIAN_FRONTEND: 'noninteractive',
  TERM: 'dumb',
};

const MOUNTS = [
  { target: 'proc', args: ['-t', 'proc', 'proc'] },
  { target: 'sys', args: ['--bind', '/sys'] },
  { target: 'dev', args: ['--bind', '/dev'] },
  { target: 'dev/pts', args: ['--bind', '/dev/pts'] },
  { target: 'run', args: ['-t', 'tmpfs', '-o', 'mode=0755', 'tmpfs'] },
] as const;

export class Chroot {
  private mounted: string[] = [];

  constructor(readonly root: string) {}

  async mount(): Promise<void> {
    for (const mount of MOUNTS) {
      const target = join(this.root, mount.target);
      mkdirSync(target, { recursive: true });
      await must('mount', [...mount.args, target]);
      this.mounted.push(target);
    }
    // What a booted system has in /run and the build VM's sshd gives `sshd -t` (31-ssh.sh).
    mkdirSync(join(this.root, 'run/sshd'), { recursive: true, mode: 0o755 });
    mkdirSync(join(this.root, 'run/lock'), { recursive: true, mode: 0o1777 });
    const resolv = join(this.root, 'etc/resolv.conf');
    rmSync(resolv, { force: true });
    if (existsSync('/etc/resolv.conf')) copyFileSync('/etc/resolv.conf', resolv);
  }

  async unmount(): Promise<void> {
    for (const target of this.mounted.reverse()) {
      const result = await run('umount', [target]);
      if (result.status !== 0) await must('umount', ['--lazy', target]);
    }
    this.mounted = [];
    // The guest's own resolver comes from systemd-networkd's DHCP lease; the host's must not stay in the image.
    rmSync(join(this.root, 'etc/resolv.conf'), { force: true });
  }

  /** Runs a command in the chroot; its output is echoed and kept. */
  exec(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
    return run('chroot', [this.root, ...args], { env: { ...CHROOT_ENV, ...env }, nice: true, echo: true });
  }

  async must(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
    const result = await this.exec(args, env);
    if (result.status !== 0)
      throw new Error(`chroot ${this.root}: ${args.join(' ')} exited with ${result.status}`);
    return result;
  }

  /** Mounts, runs `body`, and unmounts whatever happens. */
  static async with<T>(root: string, body: (chroot: Chroot) => Promise<T>): Promise<T> {
    const chroot = new Chroot(root);
    try {
      await chroot.mount();
      return await body(chroot);
    } finally {
      await chroot
        .unmount()
        .catch((error: Error) => log(`unmounting under ${root} failed: ${error.message}`));
    }
  }
}
