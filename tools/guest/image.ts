/**
 * An appliance layer and its disk, built like the image: a copy of the cached base layer, into which the image's
 * guest scripts run by chroot in their Packer order (packer/slm-copilot.pkr.hcl), with the same upload directory
 * and environment Packer gives them. 10, 20, 31, 50, 60 and 90 run unchanged; 11, 30 and 40 are replaced by the
 * test doubles in tools/guest/doubles/ (no grub with a directly booted kernel; one-context and one-apps come from
 * GitHub). The artifacts come from a loopback mirror (PACKER_HTTP_ADDR) against a test lock. The folder then
 * becomes an ext4 disk (`mke2fs -d`, no loop mount), and each run boots a qcow2 overlay of it.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { makeGuestArtifacts, REPO, startMirror } from './artifacts.ts';
import { type BaseLayer, cacheRoot, ensureBaseLayer } from './base.ts';
import { Chroot } from './chroot.ts';
import { log, must } from './run.ts';

const UPLOAD = '/tmp/slm-copilot-upload';
const SCRIPTS = '/tmp/slm-copilot-scripts';

/** Packer's order; `double` names the test double that takes the script's place. */
export const GUEST_STEPS = [
  { script: '10-base.sh' },
  { script: '11-grub.sh', double: '11-grub-test-double.sh' },
  { script: '20-artifacts.sh' },
  { script: '30-context.sh', double: '30-context-test-double.sh' },
  { script: '31-ssh.sh' },
  { script: '40-one-apps.sh', double: '40-one-apps-test-double.sh' },
  { script: '50-control-plane.sh' },
  { script: '60-service-install.sh' },
  { script: '90-cleanup.sh' },
] as const;

export const DISK_SIZE = '8G';

export interface GuestImage {
  readonly runDir: string;
  readonly base: BaseLayer;
  /** The appliance layer's ext4 disk (raw); never written by a boot. */
  readonly disk: string;
  readonly kernel: string;
  readonly initrd: string;
  readonly seconds: { readonly base: number; readonly layer: number; readonly disk: number };
}

/** Runs older than the last few are removed (each holds a disk of about a gigabyte). */
function pruneRuns(runs: string, keep: number): void {
  if (!existsSync(runs)) return;
  const names = readdirSync(runs).sort();
  for (const name of names.slice(0, Math.max(0, names.length - keep))) {
    rmSync(join(runs, name), { recursive: true, force: true });
  }
}

export async function buildGuestImage(): Promise<GuestImage> {
  const bundle = join(REPO, 'dist/slm-copilot.mjs');
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run make build first (make guest does)`);
  const base = await ensureBaseLayer();
  const runs = join(cacheRoot(), 'runs');
  pruneRuns(runs, 2);
  const runDir = join(runs, `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`);
  mkdirSync(runDir, { recursive: true });
  const layerStarted = Date.now();
  const rootfs = join(runDir, 'rootfs');
  log(`appliance layer: copying the base layer to ${rootfs}`);
  await must('cp', ['-a', '--reflink=auto', base.rootfs, rootfs], { nice: true });

  const artifacts = await makeGuestArtifacts(runDir);
  const upload = join(rootfs, UPLOAD.slice(1));
  const doubles = join(upload, 'test-doubles');
  const scripts = join(rootfs, SCRIPTS.slice(1));
  for (const dir of [upload, join(doubles, 'driver'), scripts])
    mkdirSync(dir, { recursive: true, mode: 0o755 });
  // What the Packer template uploads (its "file" provisioner).
  copyFileSync(bundle, join(upload, 'slm-copilot.mjs'));
  copyFileSync(join(runDir, 'artifacts/artifacts.lock.json'), join(upload, 'artifacts.lock.json'));
  copyFileSync(join(REPO, 'appliances/slm-copilot/appliance.sh'), join(upload, 'appliance.sh'));
  copyFileSync(join(runDir, 'artifacts/guest-artifacts.txt'), join(upload, 'guest-artifacts.txt'));
  copyFileSync(join(REPO, 'packer/guest/common.sh'), join(upload, 'common.sh'));
  // The test doubles and what they install.
  const doublesSource = join(REPO, 'tools/guest/doubles');
  for (const name of readdirSync(doublesSource)) copyFileSync(join(doublesSource, name), join(doubles, name));
  for (const name of ['service', 'common.sh', 'boot']) {
    copyFileSync(join(REPO, 'test/appliance/lifecycle/driver', name), join(doubles, 'driver', name));
  }
  for (const step of GUEST_STEPS) {
    const from =
      'double' in step ? join(doublesSource, step.double) : join(REPO, 'packer/guest', step.script);
    copyFileSync(from, join(scripts, 'double' in step ? step.double : step.script));
  }

  const mirror = await startMirror(artifacts);
  const [ip, port] = mirror.address.split(':');
  // Packer's environment_vars (packer/slm-copilot.pkr.hcl guest_env, all empty here) and its HTTP server address.
  const env = {
    http_proxy: '',
    https_proxy: '',
    no_proxy: '',
    HTTP_PROXY: '',
    HTTPS_PROXY: '',
    NO_PROXY: '',
    APT_MIRROR: '',
    PACKER_HTTP_ADDR: mirror.address,
    PACKER_HTTP_IP: ip ?? '',
    PACKER_HTTP_PORT: port ?? '',
  };
  try {
    await Chroot.with(rootfs, async (chroot) => {
      for (const step of GUEST_STEPS) {
        const name = 'double' in step ? step.double : step.script;
        const started = Date.now();
        log(
          `appliance layer: ${name}${'double' in step ? ` (test double for ${step.script})` : ' (unchanged)'}`,
        );
        const result = await chroot.exec(['bash', `${SCRIPTS}/${name}`], env);
        if (result.status !== 0)
          throw new Error(`${name} failed with exit status ${result.status} in the chroot`);
        log(`appliance layer: ${name} done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
      }
    });
  } finally {
    await new Promise<void>((resolve) => mirror.server.close(() => resolve()));
  }
  rmSync(scripts, { recursive: true, force: true });
  const layerSeconds = (Date.now() - layerStarted) / 1000;

  const diskStarted = Date.now();
  const disk = join(runDir, 'disk.raw');
  log(`disk: mke2fs -t ext4 -d ${rootfs} ${disk} ${DISK_SIZE}`);
  await must('mke2fs', ['-q', '-t', 'ext4', '-L', 'slm-copilot-root', '-d', rootfs, '-F', disk, DISK_SIZE], {
    nice: true,
  });
  // The kernel and initrd the layer ended with (10-base.sh's upgrade may have replaced the base layer's).
  const bootFiles = readdirSync(join(rootfs, 'boot'));
  const kernelName = bootFiles
    .filter((name) => name.startsWith('vmlinuz-'))
    .sort()
    .at(-1);
  const initrdName = bootFiles
    .filter((name) => name.startsWith('initrd.img-'))
    .sort()
    .at(-1);
  if (kernelName === undefined || initrdName === undefined)
    throw new Error(`no kernel or initrd in ${rootfs}/boot`);
  const kernel = join(runDir, 'vmlinuz');
  const initrd = join(runDir, 'initrd.img');
  copyFileSync(join(rootfs, 'boot', kernelName), kernel);
  copyFileSync(join(rootfs, 'boot', initrdName), initrd);
  await must('rm', ['-rf', rootfs], { nice: true });
  log(`disk: ${disk} (${(statSync(disk).blocks * 512) >> 20} MiB used)`);
  return {
    runDir,
    base,
    disk,
    kernel,
    initrd,
    seconds: { base: base.seconds, layer: layerSeconds, disk: (Date.now() - diskStarted) / 1000 },
  };
}

/** A qcow2 overlay on the appliance layer's disk: everything a boot writes lands here. */
export async function createOverlay(image: GuestImage, name = 'overlay.qcow2'): Promise<string> {
  const overlay = join(image.runDir, name);
  await must('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'raw', '-b', image.disk, overlay], {
    nice: true,
  });
  return overlay;
}
