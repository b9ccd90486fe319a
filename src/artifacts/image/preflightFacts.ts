/**
 * Gathers the facts preflight.ts judges: devices, kernel modules, commands on PATH, Packer and its plugins, free
 * disk and memory, the lock and where each artifact would come from. Network probes run in parallel with short
 * timeouts, so the whole preflight takes seconds, not minutes.
 */
import { accessSync, constants, existsSync, readdirSync, readFileSync, statfsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { ranOk, run, whyFailed } from '../../system/process.ts';
import { planDownloads } from '../download/plan.ts';
import { findArtifact } from '../lock/lock.ts';
import { readLockFile } from '../lock/lockFile.ts';
import { IMAGE_ARTIFACTS } from './imageArtifacts.ts';
import type { ArtifactFact, Pinning, PreflightFacts } from './preflight.ts';

export interface FactOptions {
  readonly lock: string;
  readonly artifactsDir: string;
  readonly localDir?: string;
  readonly mirror?: string;
  readonly workDir: string;
  readonly bundle: string;
  readonly env: NodeJS.ProcessEnv;
  /** What was done about unpinned artifacts before (make image pins them on a connected host). */
  readonly pinning: Pinning;
  /** Probe timeout per source (seconds). */
  readonly probeSeconds?: number;
}

export const COMMANDS = [
  'qemu-system-x86_64',
  'qemu-img',
  'virt-sysprep',
  'virt-sparsify',
  'virt-cat',
  'cloud-localds',
  'genisoimage',
  'ssh-keygen',
  'curl',
] as const;

const PROXY_VARIABLES = ['http_proxy', 'https_proxy', 'no_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY'];

export async function gatherFacts(options: FactOptions): Promise<PreflightFacts> {
  const commands = Object.fromEntries(COMMANDS.map((command) => [command, onPath(command, options.env)]));
  const [packerVersionOutput, artifacts] = await Promise.all([
    commandOutput('packer', ['version'], options.env),
    artifactFacts(options),
  ]);
  return {
    kvm: kvmFacts(),
    packerVersionOutput,
    qemuPluginVersions: qemuPlugins(options.env),
    commands,
    disk: diskFacts(options.workDir),
    memoryAvailableBytes: memoryAvailable(),
    lockProblems: artifacts.lockProblems,
    pinning: options.pinning,
    artifacts: artifacts.facts,
    bundle: { path: options.bundle, present: existsSync(options.bundle) },
    proxies: Object.fromEntries(
      PROXY_VARIABLES.flatMap((name) => (options.env[name] ? [[name, options.env[name] as string]] : [])),
    ),
  };
}

function kvmFacts(): PreflightFacts['kvm'] {
  let device: PreflightFacts['kvm']['device'] = 'ok';
  if (!existsSync('/dev/kvm')) device = 'missing';
  else {
    try {
      accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
    } catch {
      device = 'no-access';
    }
  }
  let modules: string[] = [];
  try {
    modules = readdirSync('/sys/module').filter((name) => name.startsWith('kvm'));
  } catch {
    // no sysfs: modules stay unknown
  }
  let hardwareFlag = false;
  try {
    hardwareFlag = /^flags\s*:.*\b(vmx|svm)\b/m.test(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    // no procfs
  }
  return { device, modules, hardwareFlag };
}

/** Packer's plugin directories (PACKER_PLUGIN_PATH, then the defaults of Packer >= 1.7 and >= 1.8). */
function qemuPlugins(env: NodeJS.ProcessEnv): string[] {
  const home = env.HOME ?? homedir();
  const roots = [
    ...(env.PACKER_PLUGIN_PATH ?? '').split(delimiter).filter((path) => path !== ''),
    join(home, '.config/packer/plugins'),
    join(home, '.packer.d/plugins'),
  ];
  const versions = new Set<string>();
  for (const root of roots) {
    for (const file of walk(root, 4)) {
      const match = /packer-plugin-qemu_v(\d+\.\d+\.\d+)/.exec(file);
      if (match !== null) versions.add(match[1] as string);
    }
  }
  return [...versions].sort();
}

function walk(dir: string, depth: number): string[] {
  if (depth < 0) return [];
  try {
    return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? walk(join(dir, entry.name), depth - 1) : [entry.name],
    );
  } catch {
    return [];
  }
}

function diskFacts(workDir: string): PreflightFacts['disk'] {
  let path = resolve(workDir);
  while (!existsSync(path) && dirname(path) !== path) path = dirname(path);
  try {
    const stats = statfsSync(path);
    return { path, freeBytes: stats.bavail * stats.bsize };
  } catch {
    return null;
  }
}

function memoryAvailable(): number | null {
  try {
    const match = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    return match === null ? null : Number(match[1]) * 1024;
  } catch {
    return null;
  }
}

async function artifactFacts(
  options: FactOptions,
): Promise<{ lockProblems: string[]; facts: ArtifactFact[] }> {
  const read = readLockFile(options.lock);
  if (!read.ok) return { lockProblems: [...read.problems], facts: [] };
  const plan = planDownloads(read.lock, {
    dest: options.artifactsDir,
    only: IMAGE_ARTIFACTS,
    ...(options.localDir === undefined ? {} : { localDir: options.localDir }),
    ...(options.mirror === undefined ? {} : { mirror: options.mirror }),
  });
  const facts = await Promise.all(
    plan.downloads.map(async (download): Promise<ArtifactFact> => {
      const entry = findArtifact(read.lock, download.name);
      const cached = sizeMatches(download.destination, download.size);
      const localSource = download.sources.find((source) => source.kind === 'local');
      const local = localSource?.kind === 'local' && sizeMatches(localSource.path, download.size);
      const pinned = entry?.pinned === true;
      const remote =
        cached || local || !pinned
          ? { ok: false as const, reasons: [] }
          : await probe(
              download.sources.flatMap((source) => (source.kind === 'local' ? [] : [source.url])),
              options,
            );
      return { name: download.name, file: download.file, pinned, cached, local, remote };
    }),
  );
  // A registry image has no URL: its archive is sourceless unless `make lock` left it in the artifacts directory.
  const cached = new Set(facts.filter((fact) => fact.cached).map((fact) => fact.name));
  const lockProblems = plan.problems.filter(
    (problem) => ![...cached].some((name) => problem.startsWith(`"${name}" has no source`)),
  );
  return { lockProblems, facts };
}

function sizeMatches(path: string, size: number | null): boolean {
  try {
    const stat = statSync(path);
    return stat.isFile() && (size === null || stat.size === size);
  } catch {
    return false;
  }
}

/** The first URL that answers a HEAD (or a one-byte GET: some servers refuse HEAD) with success. */
async function probe(urls: readonly string[], options: FactOptions): Promise<ArtifactFact['remote']> {
  const reasons: string[] = [];
  for (const url of urls) {
    const result = await curlProbe(url, options.env, options.probeSeconds ?? 8);
    if (result === null) return { ok: true, url };
    reasons.push(`${url}: ${result}`);
  }
  return { ok: false, reasons };
}

async function curlProbe(url: string, env: NodeJS.ProcessEnv, seconds: number): Promise<string | null> {
  const ran = await run(
    'curl',
    [
      '--silent',
      '--show-error',
      '--fail',
      '--location',
      '--range',
      '0-0',
      '--output',
      '/dev/null',
      '--max-time',
      String(seconds),
      '--',
      url,
    ],
    { env },
  );
  return ranOk(ran) ? null : ran.stderr.trim().split('\n').at(-1) || `curl failed (${whyFailed(ran)})`;
}

async function commandOutput(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<string | null> {
  const ran = await run(command, args, { env, timeoutMs: 15_000 });
  return ran.interrupted === 'not-found' ? null : ran.stdout;
}

function onPath(command: string, env: NodeJS.ProcessEnv): boolean {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      // next directory
    }
  }
  return false;
}
