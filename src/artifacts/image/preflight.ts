/**
 * `make image` preflight, the pure part: facts about the build machine in, one finding per requirement out, each
 * missing piece with the command that fixes it. Everything is checked before any long step, and all of it at once.
 */

import type { Problem } from '../../core/lib/failure.ts';

export const REQUIREMENTS = {
  packer: '1.7.0',
  /** What packer/slm-copilot.pkr.hcl's required_plugins asks for. */
  qemuPlugin: '1.1.0',
  /** Build tree + exported image + artifacts cache (model 14.3 GB twice at the peak, compressed export). */
  freeBytes: 60 * 1000 ** 3,
  /** The build VM's memory (packer/variables.pkr.hcl memory_mb) plus QEMU and the host. */
  memoryBytes: 9 * 1024 ** 3,
} as const;

export type Severity = 'ok' | 'missing' | 'warning';

/** One requirement: what was found (reason) and, for what is missing or a warning, the fix (a Problem). */
export interface Finding extends Problem {
  readonly check: string;
  readonly severity: Severity;
  /** Debian/Ubuntu packages that provide it, gathered into one install command at the end. */
  readonly packages?: readonly string[];
}

export interface ArtifactFact {
  readonly name: string;
  readonly file: string;
  readonly pinned: boolean;
  /** Already in the artifacts directory with the locked size (hashes are checked by the fetch step). */
  readonly cached: boolean;
  /** A copy in --local-dir. */
  readonly local: boolean;
  /** The first reachable source among mirror and publisher, or why none answered. */
  readonly remote:
    | { readonly ok: true; readonly url: string }
    | { readonly ok: false; readonly reasons: readonly string[] };
}

/** What `make image` did about unpinned artifacts before preflight (src/cli/lockCommand.ts pinUnpinned). */
export type Pinning =
  /** Nothing to pin, or the lock file is unusable (its problems are lock findings). */
  | { readonly kind: 'not-needed' }
  | { readonly kind: 'unusable' }
  | { readonly kind: 'pinned'; readonly names: readonly string[] }
  /** --no-pin (NO_PIN=1), or an air-gapped build (LOCAL_DIR/MIRROR): no publisher was asked. */
  | { readonly kind: 'off'; readonly why: 'no-pin' | 'air-gapped' }
  /** No publisher answered at all; nothing was written. */
  | { readonly kind: 'unreachable'; readonly reason: string }
  /** A publisher or a file was refused (shown above preflight, with both values); nothing was written. */
  | { readonly kind: 'refused' };

export interface PreflightFacts {
  readonly kvm: {
    readonly device: 'missing' | 'no-access' | 'ok';
    /** Loaded kernel modules whose name starts with "kvm". */
    readonly modules: readonly string[];
    /** The CPU shows vmx (Intel VT-x) or svm (AMD-V). */
    readonly hardwareFlag: boolean;
  };
  /** `packer version`'s output; null when there is no packer on PATH. */
  readonly packerVersionOutput: string | null;
  /** Versions of the qemu plugin found in Packer's plugin directories. */
  readonly qemuPluginVersions: readonly string[];
  /** Which of the needed commands are on PATH. */
  readonly commands: Readonly<Record<string, boolean>>;
  readonly disk: { readonly path: string; readonly freeBytes: number } | null;
  readonly memoryAvailableBytes: number | null;
  /** Problems of the lock file and of the download plan (unpinned artifacts, no source). */
  readonly lockProblems: readonly string[];
  readonly pinning: Pinning;
  readonly artifacts: readonly ArtifactFact[];
  readonly bundle: { readonly path: string; readonly present: boolean };
  readonly proxies: Readonly<Record<string, string>>;
}

const TOOLS: readonly { command: string; what: string; packages: readonly string[] }[] = [
  { command: 'qemu-system-x86_64', what: 'QEMU (runs the build VM)', packages: ['qemu-system-x86'] },
  { command: 'qemu-img', what: 'qemu-img (resizes and compresses the disk)', packages: ['qemu-utils'] },
  {
    command: 'virt-sysprep',
    what: 'virt-sysprep (resets the image: machine-id, SSH host keys, root password)',
    packages: ['libguestfs-tools'],
  },
  {
    command: 'virt-sparsify',
    what: 'virt-sparsify (drops the freed blocks)',
    packages: ['libguestfs-tools'],
  },
  {
    command: 'virt-cat',
    what: "virt-cat (reads the image's os-release for the manifest)",
    packages: ['libguestfs-tools'],
  },
  { command: 'ssh-keygen', what: "ssh-keygen (the build's one-time SSH key)", packages: ['openssh-client'] },
  { command: 'curl', what: 'curl (downloads the artifacts)', packages: ['curl'] },
];

export function evaluatePreflight(facts: PreflightFacts): Finding[] {
  return [
    kvmFinding(facts.kvm),
    ...packerFindings(facts.packerVersionOutput, facts.qemuPluginVersions),
    ...TOOLS.map((tool) => toolFinding(facts.commands, tool)),
    seedToolFinding(facts.commands),
    diskFinding(facts.disk),
    memoryFinding(facts.memoryAvailableBytes),
    bundleFinding(facts.bundle),
    ...lockFindings(facts.lockProblems, facts.pinning),
    ...facts.artifacts.filter((artifact) => artifact.pinned).map(artifactFinding),
    proxyFinding(facts.proxies),
  ];
}

function kvmFinding(kvm: PreflightFacts['kvm']): Finding {
  const check = 'KVM';
  const hardware = kvm.modules.some((name) => name === 'kvm_intel' || name === 'kvm_amd');
  if (kvm.device === 'missing') {
    return {
      check,
      severity: 'missing',
      reason:
        '/dev/kvm does not exist: QEMU cannot use hardware virtualisation, and the build is far too slow without it',
      fix: 'enable VT-x/AMD-V in the firmware (on a VM: nested virtualisation), then `modprobe kvm_intel` or `modprobe kvm_amd`',
    };
  }
  if (kvm.device === 'no-access') {
    return {
      check,
      severity: 'missing',
      reason: '/dev/kvm exists but this user cannot open it for reading and writing',
      fix: 'sudo usermod -aG kvm "$USER" (then log in again), or run make image as root',
    };
  }
  if (!hardware || !kvm.hardwareFlag) {
    const loaded = kvm.modules.length === 0 ? 'none' : kvm.modules.join(', ');
    return {
      check,
      severity: 'missing',
      reason:
        `/dev/kvm is there but not hardware KVM: the CPU ${kvm.hardwareFlag ? 'shows' : 'shows no'} vmx/svm flag and ` +
        `neither kvm_intel nor kvm_amd is loaded (KVM modules: ${loaded}). An unmodified Ubuntu guest cannot run on it`,
      fix: 'build on a machine with VT-x/AMD-V (bare metal, or a VM with nested virtualisation), where `modprobe kvm_intel` or `modprobe kvm_amd` works',
    };
  }
  return { check, severity: 'ok', reason: `/dev/kvm usable (${kvm.modules.join(', ')})` };
}

export function parsePackerVersion(output: string): string | null {
  return /(?:Packer\s+)?v?(\d+\.\d+\.\d+)/.exec(output)?.[1] ?? null;
}

export function compareVersions(a: string, b: string): number {
  const left = a.split('.').map(Number);
  const right = b.split('.').map(Number);
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const difference = (left[i] ?? 0) - (right[i] ?? 0);
    if (difference !== 0) return Math.sign(difference);
  }
  return 0;
}

const INSTALL_PACKER =
  'install Packer >= 1.7 from HashiCorp (https://developer.hashicorp.com/packer/install): add the apt repository ' +
  'https://apt.releases.hashicorp.com with its key, then `apt-get update && apt-get install -y packer`; or unzip the ' +
  'release binary into /usr/local/bin. Debian 12 and Ubuntu 24.04 ship 1.6.6, which has no plugins: remove it first (`apt-get remove -y packer`)';

function packerFindings(output: string | null, plugins: readonly string[]): Finding[] {
  const version = output === null ? null : parsePackerVersion(output);
  const packer: Finding =
    output === null
      ? { check: 'Packer', severity: 'missing', reason: 'packer is not on PATH', fix: INSTALL_PACKER }
      : version === null
        ? {
            check: 'Packer',
            severity: 'missing',
            reason: `cannot read a version in "${output.trim()}"`,
            fix: INSTALL_PACKER,
          }
        : compareVersions(version, REQUIREMENTS.packer) < 0
          ? {
              check: 'Packer',
              severity: 'missing',
              reason: `packer is ${version}; the template needs >= ${REQUIREMENTS.packer} (packer {} block, required_plugins)`,
              fix: INSTALL_PACKER,
            }
          : { check: 'Packer', severity: 'ok', reason: `packer ${version}` };
  const good = plugins.filter((found) => compareVersions(found, REQUIREMENTS.qemuPlugin) >= 0);
  const plugin: Finding =
    good.length > 0
      ? {
          check: 'Packer qemu plugin',
          severity: 'ok',
          reason: `github.com/hashicorp/qemu ${good.join(', ')}`,
        }
      : {
          check: 'Packer qemu plugin',
          severity: 'missing',
          reason:
            plugins.length === 0
              ? `github.com/hashicorp/qemu >= ${REQUIREMENTS.qemuPlugin} is not installed`
              : `only github.com/hashicorp/qemu ${plugins.join(', ')} is installed; >= ${REQUIREMENTS.qemuPlugin} is needed`,
          fix:
            'online: `packer init packer/`; air-gapped: copy ~/.config/packer/plugins/github.com/hashicorp/qemu/ from a ' +
            'machine that ran it (or `packer plugins install --path <binary> github.com/hashicorp/qemu`, Packer >= 1.10); see docs/BUILD.md',
        };
  return [packer, plugin];
}

function toolFinding(commands: PreflightFacts['commands'], tool: (typeof TOOLS)[number]): Finding {
  return commands[tool.command] === true
    ? { check: tool.command, severity: 'ok', reason: tool.what }
    : {
        check: tool.command,
        severity: 'missing',
        reason: `${tool.what}: not on PATH`,
        fix: `apt-get install -y ${tool.packages.join(' ')}`,
        packages: tool.packages,
      };
}

function seedToolFinding(commands: PreflightFacts['commands']): Finding {
  const found = ['cloud-localds', 'genisoimage'].filter((command) => commands[command] === true);
  return found.length > 0
    ? { check: 'cloud-init seed tool', severity: 'ok', reason: found.join(', ') }
    : {
        check: 'cloud-init seed tool',
        severity: 'missing',
        reason:
          "neither cloud-localds nor genisoimage is on PATH (they write the build user's cloud-init seed ISO)",
        fix: 'apt-get install -y cloud-image-utils',
        packages: ['cloud-image-utils'],
      };
}

function diskFinding(disk: PreflightFacts['disk']): Finding {
  const need = `${REQUIREMENTS.freeBytes / 1000 ** 3} GB`;
  if (disk === null)
    return {
      check: 'free disk',
      severity: 'missing',
      reason: 'cannot measure the free space',
      fix: `make sure ${need} are free`,
    };
  const free = `${(disk.freeBytes / 1000 ** 3).toFixed(1)} GB`;
  return disk.freeBytes >= REQUIREMENTS.freeBytes
    ? { check: 'free disk', severity: 'ok', reason: `${free} free in ${disk.path}` }
    : {
        check: 'free disk',
        severity: 'missing',
        reason: `${free} free in ${disk.path}; the build needs ${need} (artifacts cache, build disk, compressed export)`,
        fix: `free space there, or build elsewhere: make image BUILD_DIR=/path/with/${need}`,
      };
}

function memoryFinding(available: number | null): Finding {
  const need = `${REQUIREMENTS.memoryBytes / 1024 ** 3} GiB`;
  if (available === null)
    return {
      check: 'memory',
      severity: 'warning',
      reason: 'cannot read MemAvailable',
      fix: `make sure ${need} are free`,
    };
  const have = `${(available / 1024 ** 3).toFixed(1)} GiB`;
  return available >= REQUIREMENTS.memoryBytes
    ? { check: 'memory', severity: 'ok', reason: `${have} available` }
    : {
        check: 'memory',
        severity: 'warning',
        reason: `${have} available; the build VM takes 8 GiB (and QEMU allocates it lazily, so the build may start and then swap)`,
        fix: 'stop other VMs, or give the VM less: make image PACKER_ARGS="-var memory_mb=6144" (not below 4096)',
      };
}

function bundleFinding(bundle: PreflightFacts['bundle']): Finding {
  return bundle.present
    ? { check: 'bundle', severity: 'ok', reason: bundle.path }
    : { check: 'bundle', severity: 'missing', reason: `${bundle.path} is missing`, fix: 'make build' };
}

const UNPINNED = /^"([^"]+)" is not pinned/;

function lockFindings(problems: readonly string[], pinning: Pinning): Finding[] {
  if (problems.length === 0) return [{ check: 'lock', severity: 'ok', reason: 'every artifact pinned' }];
  // An unpinned artifact is sourceless too (no digest yet): the unpinned ones are said once, together.
  const unpinned = problems.flatMap((problem) => UNPINNED.exec(problem)?.[1] ?? []);
  const others = problems
    .filter((problem) => !UNPINNED.test(problem))
    .filter((problem) => !unpinned.some((name) => problem.startsWith(`"${name}" has no source`)))
    .map(
      (problem): Finding => ({
        check: 'lock',
        severity: 'missing',
        reason: problem,
        fix: /has no source/.test(problem)
          ? 'make lock (it leaves the archive in the artifacts directory); air-gapped: LOCAL_DIR or MIRROR holding it'
          : 'fix artifacts.lock.json as the message says, then make lock',
      }),
    );
  return unpinned.length === 0 ? others : [unpinnedFinding(unpinned, pinning), ...others];
}

const PINNED_ELSEWHERE =
  'either build air-gapped with a lock pinned on a connected machine (make lock there; commit or copy its artifacts.lock.json here) and the files in LOCAL_DIR=/dir or at MIRROR=http://host/dir, or run make lock on a connected machine and commit artifacts.lock.json';

function unpinnedFinding(names: readonly string[], pinning: Pinning): Finding {
  const list = `not pinned: ${names.join(', ')}`;
  const finding = (reason: string, fix: string): Finding => ({
    check: 'lock',
    severity: 'missing',
    reason,
    fix,
  });
  switch (pinning.kind) {
    case 'unreachable':
      return finding(
        `${list}; make image pins them from their publishers, but the publishers cannot be reached from this host (${pinning.reason}); nothing was written`,
        PINNED_ELSEWHERE,
      );
    case 'refused':
      return finding(
        `${list}; pinning them was refused (the reasons are above, with both values); nothing was written`,
        'a publisher whose checksum disagrees with its own file is not pinned: investigate, and once an upstream change is reviewed accept it with make lock LOCK_ARGS="--update NAME"',
      );
    case 'off':
      return pinning.why === 'air-gapped'
        ? finding(
            `${list}; an air-gapped build (LOCAL_DIR/MIRROR) verifies the files against a lock pinned elsewhere`,
            'make lock on a connected machine, then commit or copy its artifacts.lock.json here',
          )
        : finding(
            `${list}; pinning is off (NO_PIN=1 / --no-pin)`,
            'make image without NO_PIN=1 on a connected host pins them; or make lock, review and commit artifacts.lock.json',
          );
    default:
      return finding(
        list,
        'make lock (on a machine with internet access; commit artifacts.lock.json, or copy it here)',
      );
  }
}

function artifactFinding(artifact: ArtifactFact): Finding {
  const check = `artifact ${artifact.name}`;
  if (artifact.cached) return { check, severity: 'ok', reason: `${artifact.file} already downloaded` };
  if (artifact.local) return { check, severity: 'ok', reason: `${artifact.file} in the local directory` };
  if (artifact.remote.ok) return { check, severity: 'ok', reason: `reachable at ${artifact.remote.url}` };
  return {
    check,
    severity: 'missing',
    reason: `${artifact.file} is not here and no source answered: ${artifact.remote.reasons.join('; ') || 'no source'}`,
    fix: 'connect to the network (set https_proxy/http_proxy/no_proxy if there is a proxy), or air-gapped: put the file in LOCAL_DIR=/dir or serve it at MIRROR=http://host/dir (docs/BUILD.md)',
  };
}

function proxyFinding(proxies: PreflightFacts['proxies']): Finding {
  const set = Object.entries(proxies);
  return {
    check: 'proxy',
    severity: 'ok',
    reason:
      set.length === 0
        ? 'no proxy variables set (the build VM will connect directly)'
        : `${set.map(([name, value]) => `${name}=${value}`).join(' ')} (passed to the build VM)`,
  };
}

/** The report: one line per check, the fixes, one apt-get line for every missing package. */
export function formatPreflight(findings: readonly Finding[]): string {
  const lines: string[] = [];
  for (const finding of findings) {
    const mark = finding.severity === 'ok' ? 'ok  ' : finding.severity === 'warning' ? 'WARN' : 'MISS';
    lines.push(`${mark} ${finding.check}: ${finding.reason}`);
    if (finding.severity !== 'ok' && finding.fix !== undefined) lines.push(`       fix: ${finding.fix}`);
  }
  const missing = findings.filter((finding) => finding.severity === 'missing');
  const packages = [...new Set(missing.flatMap((finding) => finding.packages ?? []))];
  lines.push('');
  if (missing.length === 0) {
    lines.push('preflight: everything the image build needs is here');
  } else {
    lines.push(`preflight: ${missing.length} missing piece(s); nothing was started.`);
    if (packages.length > 0) lines.push(`  the packages at once: apt-get install -y ${packages.join(' ')}`);
  }
  return `${lines.join('\n')}\n`;
}
