/**
 * make image's preflight: the verdicts on given facts (this kind of machine, a ready build host), and the real
 * preflight run on this machine: fast, non-zero while anything is missing, every check listed with its fix.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  compareVersions,
  evaluatePreflight,
  formatPreflight,
  type PreflightFacts,
  parsePackerVersion,
} from '../../../src/artifacts/image/preflight.ts';
import { BUNDLE, requireBundle } from '../../support/bundle.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ALL_COMMANDS = {
  'qemu-system-x86_64': true,
  'qemu-img': true,
  'virt-sysprep': true,
  'virt-sparsify': true,
  'virt-cat': true,
  'cloud-localds': true,
  genisoimage: false,
  'ssh-keygen': true,
  curl: true,
};

const ready: PreflightFacts = {
  kvm: { device: 'ok', modules: ['kvm', 'kvm_intel'], hardwareFlag: true },
  packerVersionOutput: 'Packer v1.11.2\n',
  qemuPluginVersions: ['1.1.0'],
  commands: ALL_COMMANDS,
  disk: { path: '/srv/build', freeBytes: 200e9 },
  memoryAvailableBytes: 30 * 1024 ** 3,
  lockProblems: [],
  pinning: { kind: 'not-needed' },
  artifacts: [
    {
      name: 'model',
      file: 'm.gguf',
      pinned: true,
      cached: true,
      local: false,
      remote: { ok: false, reasons: [] },
    },
    {
      name: 'localai',
      file: 'local-ai',
      pinned: true,
      cached: false,
      local: false,
      remote: { ok: true, url: 'https://github.com/x/local-ai' },
    },
  ],
  bundle: { path: '/repo/dist/slm-copilot.mjs', present: true },
  proxies: { https_proxy: 'http://proxy:3128' },
};

/** What a Debian 12 VM without nested virtualisation, Debian's Packer and no image tools looks like. */
const thisKindOfMachine: PreflightFacts = {
  ...ready,
  kvm: { device: 'ok', modules: ['kvm', 'kvm_pvm'], hardwareFlag: false },
  packerVersionOutput: 'Packer v1.6.6\n',
  qemuPluginVersions: [],
  commands: { 'ssh-keygen': true, curl: true },
  disk: { path: '/work', freeBytes: 40e9 },
  lockProblems: [
    '"model" is not pinned (sha256 is null): run `make lock` on a connected machine',
    '"localai-backend" is not pinned (sha256 is null): run `make lock` on a connected machine',
    '"localai-backend" has no source: it is an image archive …',
  ],
  pinning: {
    kind: 'unreachable',
    reason:
      '"model": cannot fetch https://huggingface.co/api/models/x: curl: (6) Could not resolve host: huggingface.co',
  },
  artifacts: [
    {
      name: 'node-runtime',
      file: 'n.tgz',
      pinned: true,
      cached: false,
      local: false,
      remote: { ok: false, reasons: ['https://registry.npmjs.org/n.tgz: curl: (6) Could not resolve host'] },
    },
  ],
  proxies: {},
};

const missing = (facts: PreflightFacts) =>
  evaluatePreflight(facts)
    .filter((finding) => finding.severity === 'missing')
    .map((finding) => finding.check);

describe('preflight verdicts', () => {
  it('finds nothing missing on a ready build host', () => {
    assert.deepEqual(missing(ready), []);
    const report = formatPreflight(evaluatePreflight(ready));
    assert.match(report, /preflight: everything the image build needs is here/);
    assert.match(report, /ok {3}proxy: https_proxy=http:\/\/proxy:3128 \(passed to the build VM\)/);
  });

  it('lists every missing piece at once, each with its fix, and one apt-get line', () => {
    assert.deepEqual(missing(thisKindOfMachine), [
      'KVM',
      'Packer',
      'Packer qemu plugin',
      'qemu-system-x86_64',
      'qemu-img',
      'virt-sysprep',
      'virt-sparsify',
      'virt-cat',
      'cloud-init seed tool',
      'free disk',
      'lock',
      'artifact node-runtime',
    ]);
    const findings = evaluatePreflight(thisKindOfMachine);
    for (const finding of findings.filter((f) => f.severity === 'missing')) {
      assert.ok(finding.fix !== undefined && finding.fix.length > 0, `${finding.check} has a fix`);
    }
    const report = formatPreflight(findings);
    assert.match(report, /MISS KVM: \/dev\/kvm is there but not hardware KVM: .*KVM modules: kvm, kvm_pvm/);
    assert.match(report, /MISS Packer: packer is 1\.6\.6; the template needs >= 1\.7\.0/);
    assert.match(report, /fix: install Packer >= 1\.7 from HashiCorp/);
    assert.match(report, /fix: online: `packer init packer\/`; air-gapped: copy/);
    assert.match(report, /MISS free disk: 40\.0 GB free in \/work; the build needs 60 GB/);
    assert.match(
      report,
      /MISS lock: not pinned: model, localai-backend; make image pins them from their publishers, but the publishers cannot be reached from this host \(.*Could not resolve host: huggingface\.co\); nothing was written$/m,
    );
    assert.match(
      report,
      /fix: either build air-gapped with a lock pinned on a connected machine .*LOCAL_DIR=.*MIRROR=.*or run make lock on a connected machine/,
    );
    assert.doesNotMatch(report, /"localai-backend" has no source/, 'an unpinned archive is reported once');
    assert.match(report, /MISS artifact node-runtime: .*Could not resolve host/);
    assert.match(report, /preflight: 12 missing piece\(s\); nothing was started\./);
    assert.match(
      report,
      /the packages at once: apt-get install -y qemu-system-x86 qemu-utils libguestfs-tools cloud-image-utils$/m,
    );
  });

  it('says why artifacts are still unpinned, once, for each way make image got there', () => {
    const lockFinding = (pinning: PreflightFacts['pinning']) => {
      const found = evaluatePreflight({ ...thisKindOfMachine, pinning }).filter((f) => f.check === 'lock');
      assert.equal(found.length, 1);
      return found[0] as { reason: string; fix?: string };
    };
    const noPin = lockFinding({ kind: 'off', why: 'no-pin' });
    assert.match(
      noPin.reason,
      /^not pinned: model, localai-backend; pinning is off \(NO_PIN=1 \/ --no-pin\)$/,
    );
    assert.match(noPin.fix ?? '', /without NO_PIN=1/);
    const airGapped = lockFinding({ kind: 'off', why: 'air-gapped' });
    assert.match(
      airGapped.reason,
      /an air-gapped build \(LOCAL_DIR\/MIRROR\) verifies the files against a lock pinned elsewhere/,
    );
    assert.match(airGapped.fix ?? '', /make lock on a connected machine/);
    const refused = lockFinding({ kind: 'refused' });
    assert.match(
      refused.reason,
      /pinning them was refused \(the reasons are above, with both values\); nothing was written/,
    );
    assert.match(refused.fix ?? '', /--update NAME/);
  });

  it('tells the KVM cases apart', () => {
    const kvm = (value: PreflightFacts['kvm']) =>
      evaluatePreflight({ ...ready, kvm: value }).find((finding) => finding.check === 'KVM');
    assert.match(kvm({ device: 'missing', modules: [], hardwareFlag: true })?.reason ?? '', /does not exist/);
    assert.match(
      kvm({ device: 'no-access', modules: ['kvm_amd'], hardwareFlag: true })?.fix ?? '',
      /usermod -aG kvm/,
    );
    assert.equal(kvm({ device: 'ok', modules: ['kvm', 'kvm_amd'], hardwareFlag: true })?.severity, 'ok');
  });

  it('reads Packer versions and compares them', () => {
    assert.equal(parsePackerVersion('Packer v1.6.6\n'), '1.6.6');
    assert.equal(parsePackerVersion('Packer v1.11.2\n\nYour version of Packer is out of date!'), '1.11.2');
    assert.equal(parsePackerVersion('nonsense'), null);
    assert.equal(compareVersions('1.11.0', '1.7.0'), 1);
    assert.equal(compareVersions('1.6.6', '1.7.0'), -1);
    assert.equal(compareVersions('1.1.0', '1.1.0'), 0);
    const old = evaluatePreflight({ ...ready, qemuPluginVersions: ['1.0.9'] });
    assert.match(
      old.find((finding) => finding.check === 'Packer qemu plugin')?.reason ?? '',
      /only .* 1\.0\.9/,
    );
  });
});

describe('preflight on this machine (the real command)', () => {
  it('answers within seconds, with every check, non-zero while something is missing', () => {
    requireBundle();
    const started = Date.now();
    const work = mkdtempSync(join(tmpdir(), 'slm-preflight-'));
    const lockCopy = join(work, 'artifacts.lock.json');
    copyFileSync(`${ROOT}artifacts.lock.json`, lockCopy);
    const run = spawnSync(
      process.execPath,
      [BUNDLE, 'image', 'preflight', '--work', 'build', '--lock', lockCopy, '--artifacts', join(work, 'a')],
      { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
    );
    const after = readFileSync(lockCopy, 'utf8');
    rmSync(work, { recursive: true, force: true });
    const seconds = (Date.now() - started) / 1000;
    assert.ok(seconds < 30, `took ${seconds} s`);
    for (const check of [
      'KVM',
      'Packer',
      'Packer qemu plugin',
      'qemu-img',
      'virt-sysprep',
      'free disk',
      'lock',
    ]) {
      assert.match(run.stdout, new RegExp(`^(ok  |MISS|WARN) ${check}: `, 'm'), check);
    }
    const lock = JSON.parse(readFileSync(`${ROOT}artifacts.lock.json`, 'utf8')) as {
      artifacts: { name: string; pinned: boolean }[];
    };
    const unpinned = lock.artifacts.filter((entry) => !entry.pinned).map((entry) => entry.name);
    const anyMissing = /^MISS /m.test(run.stdout);
    assert.equal(run.status, anyMissing ? 1 : 0, run.stdout + run.stderr);
    // This machine reaches no publisher: said once, naming every unpinned artifact; the lock is unchanged.
    if (unpinned.length > 0) {
      assert.match(
        run.stdout,
        new RegExp(`^MISS lock: not pinned: ${unpinned.join(', ')}; .*cannot be reached`, 'm'),
      );
      assert.equal(run.stdout.match(/not pinned/g)?.length, 1);
      assert.equal(after, readFileSync(`${ROOT}artifacts.lock.json`, 'utf8'));
    }
    if (anyMissing) assert.match(run.stdout, /missing piece\(s\); nothing was started\./);
  });
});
