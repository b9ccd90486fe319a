/**
 * Runs an appliance file through the one-apps driver emulation in this directory (`service`, `boot`,
 * `common.sh`), in a scratch root instead of the VM's /: the same status file, motd, stage logs, `set -e`
 * and `umask 0077` as on the appliance.
 *
 *   const root = join(scratch, 'root');
 *   const fake = fakeSlmCopilot(join(scratch, 'fake'), { exit: { configure: 2 } });
 *   await runStage(root, 'install', { path: [fake.binDir] });          // → { code, status, log, … }
 *   await boot(root, { path: [fake.binDir], env: { ONEAPP_COPILOT_AUTH_USER: 'dev' } });
 *
 * The real program goes through the same harness with `bundleWrapper`, a `slm-copilot` that runs
 * dist/slm-copilot.mjs with `--root` and `--proc` appended.
 *
 * Everything is asynchronous on purpose: a test may serve downloads or a stand-in from this same process while
 * a stage runs, which a synchronous spawn would deadlock.
 */
import { spawn } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bashSingleQuoted } from '../../../../src/build/docs/applianceParams.ts';

export type Stage = 'install' | 'configure' | 'bootstrap';

/** The driver emulation: `service install|configure|bootstrap|help`. */
export const DRIVER = fileURLToPath(new URL('./service', import.meta.url));
/** The net-90-service-appliance emulation: `service configure && service bootstrap`. */
export const BOOT_HOOK = fileURLToPath(new URL('./boot', import.meta.url));
/** The helpers the driver gives appliances (msg, is_true, …). */
export const DRIVER_COMMON = fileURLToPath(new URL('./common.sh', import.meta.url));
/** The appliance this repository ships. */
export const APPLIANCE = fileURLToPath(
  new URL('../../../../appliances/slm-copilot/appliance.sh', import.meta.url),
);
export { BUNDLE } from '../../../support/bundle.ts';

import { BUNDLE } from '../../../support/bundle.ts';

/** Where the driver keeps its files under a root (the VM's paths with the root in front). */
export interface DriverPaths {
  readonly root: string;
  /** /etc/one-appliance */
  readonly serviceDir: string;
  readonly status: string;
  readonly metadata: string;
  /** ONE_SERVICE_REPORT: the appliance writes it, the driver never does. */
  readonly report: string;
  readonly appliance: string;
  /** /var/log/one-appliance: <stage>.log */
  readonly logDir: string;
  readonly motd: string;
  readonly pidFile: string;
  readonly lockFile: string;
}

export function driverPaths(root: string): DriverPaths {
  const serviceDir = join(root, 'etc/one-appliance');
  return {
    root,
    serviceDir,
    status: join(serviceDir, 'status'),
    metadata: join(serviceDir, 'metadata'),
    report: join(serviceDir, 'config'),
    appliance: join(serviceDir, 'service.d/appliance.sh'),
    logDir: join(root, 'var/log/one-appliance'),
    motd: join(root, 'etc/motd'),
    pidFile: join(root, 'var/run/one-appliance-service.pid'),
    lockFile: join(root, 'var/run/one-appliance-service.lock'),
  };
}

/**
 * Lays the root out as the image build does before `service install`: /etc/one-appliance{,/service.d,/lib}
 * (u=rwx,g=rx,o=), /opt/one-appliance{,/bin} (u=rwx,go=rx), /var/run, and the appliance file as
 * service.d/appliance.sh. Idempotent; the appliance file is copied again each time.
 */
export function prepareRoot(root: string, appliance: string = APPLIANCE): DriverPaths {
  const paths = driverPaths(root);
  for (const [dir, mode] of [
    [paths.serviceDir, 0o750],
    [join(paths.serviceDir, 'service.d'), 0o750],
    [join(paths.serviceDir, 'lib'), 0o750],
    [join(root, 'opt/one-appliance'), 0o755],
    [join(root, 'opt/one-appliance/bin'), 0o755],
    [join(root, 'var/run'), 0o755],
  ] as const) {
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, mode);
  }
  copyFileSync(appliance, paths.appliance);
  return paths;
}

export interface RunOptions {
  /** The context, as one-contextd exports it to the hook (ONEAPP_*, ETH0_IP, …). Nothing else is inherited. */
  readonly env?: Readonly<Record<string, string>>;
  /** Directories searched first for commands: a fake `slm-copilot`, or `bundleWrapper`'s. */
  readonly path?: readonly string[];
  /** What follows `path` on PATH (default: this process's PATH). */
  readonly systemPath?: string;
  /** The appliance file to install first (default: the one already in the root, else this repository's). */
  readonly appliance?: string;
  /** More driver arguments: `install <version>`, `configure reconfigure`. */
  readonly args?: readonly string[];
  /** The driver gets SIGTERM after this long (default 120 s), as an interrupted stage would. */
  readonly timeoutMs?: number;
}

export interface Run {
  /** The driver's (or the boot hook's) exit status; null when a signal ended it. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The status file's word afterwards (`configure_success`, …), null when there is none. */
  readonly status: string | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The motd afterwards ('' when there is none). */
  readonly motd: string;
}

export interface StageRun extends Run {
  /** What this run appended to <logdir>/<stage>.log ('' when the stage did not start). */
  readonly log: string;
}

export interface BootRun extends Run {
  /** What this boot appended to configure.log, then bootstrap.log. */
  readonly log: string;
  readonly logs: { readonly configure: string; readonly bootstrap: string };
}

/** `service <stage>` under the root, as a Packer provisioner (install) or the boot hook would run it. */
export async function runStage(
  root: string,
  stage: Stage | 'help',
  options: RunOptions = {},
): Promise<StageRun> {
  const paths = ensurePrepared(root, options.appliance);
  const logFile = join(paths.logDir, `${stage}.log`);
  const before = fileSize(logFile);
  const run = await runDriver(DRIVER, [stage, ...(options.args ?? [])], root, options);
  return { ...run, log: stage === 'help' ? '' : readFrom(logFile, before) };
}

/** One boot: the net-90-service-appliance hook, i.e. `service configure && service bootstrap`. */
export async function boot(root: string, options: RunOptions = {}): Promise<BootRun> {
  const paths = ensurePrepared(root, options.appliance);
  const files = {
    configure: join(paths.logDir, 'configure.log'),
    bootstrap: join(paths.logDir, 'bootstrap.log'),
  };
  const before = { configure: fileSize(files.configure), bootstrap: fileSize(files.bootstrap) };
  const run = await runDriver(BOOT_HOOK, options.args ?? [], root, options);
  const logs = {
    configure: readFrom(files.configure, before.configure),
    bootstrap: readFrom(files.bootstrap, before.bootstrap),
  };
  return { ...run, log: logs.configure + logs.bootstrap, logs };
}

export function readStatus(root: string): string | null {
  const file = driverPaths(root).status;
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : null;
}

/** The environment the driver gets: PATH, HOME, the root, and the context; never this process's ONEAPP_*. */
export function driverEnv(root: string, options: RunOptions): Record<string, string> {
  const systemPath = options.systemPath ?? process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin';
  return {
    PATH: [...(options.path ?? []), systemPath].join(':'),
    HOME: process.env.HOME ?? '/root',
    ...options.env,
    ONE_SERVICE_ROOT: root,
  };
}

function ensurePrepared(root: string, appliance: string | undefined): DriverPaths {
  const paths = driverPaths(root);
  if (appliance !== undefined || !existsSync(paths.appliance)) prepareRoot(root, appliance);
  return paths;
}

function fileSize(file: string): number {
  return existsSync(file) ? statSync(file).size : 0;
}

function readFrom(file: string, offset: number): string {
  return existsSync(file) ? readFileSync(file).subarray(offset).toString('utf8') : '';
}

function runDriver(
  program: string,
  args: readonly string[],
  root: string,
  options: RunOptions,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      cwd: root,
      env: driverEnv(root, options),
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 120_000,
      killSignal: 'SIGTERM',
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const motd = driverPaths(root).motd;
      resolve({
        code,
        signal,
        status: readStatus(root),
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        motd: existsSync(motd) ? readFileSync(motd, 'utf8') : '',
      });
    });
  });
}

// --- stand-ins for slm-copilot --------------------------------------------------------------------------------

export interface FakeOptions {
  /** Exit status per command (default 0). */
  readonly exit?: Partial<Readonly<Record<string, number>>>;
}

/** One call of the fake, as it recorded it. */
export interface FakeCall {
  readonly args: readonly string[];
  /** `umask` inside the stage, e.g. '0077'. */
  readonly umask: string;
  readonly cwd: string;
  /** The ONEAPP_* and ONE_SERVICE_* variables in its environment. */
  readonly env: Readonly<Record<string, string>>;
}

export interface FakeSlmCopilot {
  /** Put this first on PATH. */
  readonly binDir: string;
  readonly program: string;
  /** Every call so far, oldest first. */
  calls(): FakeCall[];
}

/**
 * A `slm-copilot` that records its arguments, umask, working directory and ONEAPP_ / ONE_SERVICE_ environment
 * (values without tabs or newlines), prints one line on stdout and one on stderr, and exits with the status
 * chosen for that command. Calling it again on the same directory rewrites the exit statuses, keeps the record.
 */
export function fakeSlmCopilot(dir: string, options: FakeOptions = {}): FakeSlmCopilot {
  const binDir = join(dir, 'bin');
  const program = join(binDir, 'slm-copilot');
  const record = join(dir, 'calls.log');
  mkdirSync(binDir, { recursive: true });
  const cases = Object.entries(options.exit ?? {})
    .filter((entry): entry is [string, number] => entry[1] !== undefined)
    .map(([command, status]) => `    ${bashSingleQuoted(command)}) status=${Math.trunc(status)} ;;`);
  const script = [
    '#!/usr/bin/env bash',
    '# Test stand-in for slm-copilot (test/appliance/lifecycle/driver/harness.ts): records the call, exits as told.',
    `record=${bashSingleQuoted(record)}`,
    '{',
    '    printf "call\\t%s\\t%s\\n" "$(umask)" "$PWD"',
    '    for arg in "$@"; do printf "arg\\t%s\\n" "$arg"; done',
    '    while IFS= read -r name; do',
    `        case "$name" in ONEAPP_* | ONE_SERVICE_*) printf "env\\t%s=%s\\n" "$name" "\${!name}" ;; esac`,
    '    done < <(compgen -e)',
    '    echo end',
    '} >>"$record"',
    'echo "fake slm-copilot $*: stdout"',
    'echo "fake slm-copilot $*: stderr" >&2',
    'status=0',
    `case "\${1:-}" in`,
    ...cases,
    'esac',
    'exit "$status"',
    '',
  ].join('\n');
  writeFileSync(program, script, { mode: 0o755 });
  chmodSync(program, 0o755);
  return { binDir, program, calls: () => parseCalls(existsSync(record) ? readFileSync(record, 'utf8') : '') };
}

function parseCalls(text: string): FakeCall[] {
  const calls: FakeCall[] = [];
  let current: { args: string[]; umask: string; cwd: string; env: Record<string, string> } | null = null;
  for (const line of text.split('\n')) {
    const [kind, ...rest] = line.split('\t');
    const value = rest.join('\t');
    if (kind === 'call') current = { args: [], umask: rest[0] ?? '', cwd: rest[1] ?? '', env: {} };
    else if (kind === 'arg') current?.args.push(value);
    else if (kind === 'env' && current !== null) {
      const equals = value.indexOf('=');
      current.env[value.slice(0, equals)] = value.slice(equals + 1);
    } else if (kind === 'end' && current !== null) {
      calls.push(current);
      current = null;
    }
  }
  return calls;
}

export interface BundleWrapperOptions {
  /** The root every file operation happens under (`--root`): normally the driver's root. */
  readonly root: string;
  /** A host fixture directory (`--proc`), e.g. test/fixtures/hosts/xeon-small-8g. */
  readonly proc: string;
  /** More arguments appended after --root and --proc (e.g. ['--mirror', url]). */
  readonly extraArgs?: readonly string[];
  readonly bundle?: string;
  readonly node?: string;
}

/**
 * A `slm-copilot` in `<dir>/bin` that runs the real bundle: `node dist/slm-copilot.mjs "$@" --root ROOT --proc DIR`.
 * Returns the directory to put first on PATH.
 */
export function bundleWrapper(dir: string, options: BundleWrapperOptions): string {
  const binDir = join(dir, 'bin');
  mkdirSync(binDir, { recursive: true });
  const appended = ['--root', options.root, '--proc', options.proc, ...(options.extraArgs ?? [])];
  const script = [
    '#!/usr/bin/env bash',
    '# The real slm-copilot bundle against a root prefix (test/appliance/lifecycle/driver/harness.ts).',
    `exec ${bashSingleQuoted(options.node ?? process.execPath)} ${bashSingleQuoted(options.bundle ?? BUNDLE)} "$@" ${appended.map(bashSingleQuoted).join(' ')}`,
    '',
  ].join('\n');
  const program = join(binDir, 'slm-copilot');
  writeFileSync(program, script, { mode: 0o755 });
  chmodSync(program, 0o755);
  return binDir;
}
