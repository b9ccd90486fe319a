/**
 * The host port: everything a stage or doctor asks of the machine beyond reading and writing files under its root —
 * running a program that changes it, its services, its users, its packages, and what it says about its units and
 * the relay. hostAt chooses once, at the edge: the machine itself on '/', and under any other root a directory
 * standing in for it, where actions are recorded in ROOT/services.log and doctor's answers are replayed from files
 * recorded in ROOT/doctor/:
 *
 *   ROOT/doctor/systemctl/<unit>.show   output of `systemctl show <unit>`
 *   ROOT/doctor/journal/<unit>.log      output of `journalctl -u <unit> -b -o cat`
 *   ROOT/doctor/relay-health.json       {"status": 200, "body": "{\"status\":\"ready\"}"} or {"error": "ECONNREFUSED"}
 */
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import type { CommandLine } from '../../artifacts/archives/backendArchive.ts';
import { APPLIANCE_TARGET, type ServingTarget } from '../../core/facts/target.ts';
import { UNITS } from '../../core/facts/units.ts';
import { runSync, succeeded } from '../../system/process.ts';
import { READY_LOG } from '../relay/workerPublisher.ts';
import { liveSystem, type SystemProbe } from './reader.ts';
import { RELAY_HEALTH_URL, type RelayHealth, readRelayHealth } from './relayHealth.ts';
import { recordingServices, recordUnder, type ServiceManager, systemd } from './services.ts';
import { type AddUsers, addSystemUsers, addUsersUnder } from './users.ts';

export interface UnitObservation {
  /** `systemctl show` output; null when it could not be read. */
  readonly show: string | null;
  /** The unit's log of this boot (last lines); null when it could not be read. */
  readonly journal: string | null;
}

/** What doctor asks the machine, beyond its files. */
export interface Observer {
  unit(unit: string): UnitObservation;
  relayHealth(): Promise<RelayHealth | null>;
  /** How the machine's network and disks are probed. */
  readonly system: SystemProbe;
  /** The environment the context is read from besides its file: this process's on the machine, none otherwise. */
  contextEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  /** The addresses to check the certificate against: the machine's; none known for a stand-in directory. */
  addresses(found: readonly string[]): readonly string[] | null;
}

export interface HostPort {
  /** '/' on the machine; the directory standing in for it otherwise (every file operation happens under it). */
  readonly root: string;
  readonly services: ServiceManager;
  readonly addUsers: AddUsers;
  /** Installs distribution packages (apt-get, non-interactive), its output shown. */
  installPackages(packages: readonly string[], env: NodeJS.ProcessEnv): void;
  /**
   * Runs a program that changes the machine (LocalAI's backend install), its output shown; false when it was only
   * recorded (nothing it would have made exists).
   */
  run(command: CommandLine, env: NodeJS.ProcessEnv): boolean;
  /** Where the serving stack runs: the appliance's own, or the same under the stand-in directory. */
  readonly target: ServingTarget;
  readonly observer: Observer;
}

const live = (name: string, args: readonly string[]): string | null => {
  // systemctl show exits 0 even for unknown units; journalctl may exit 1 with output (no entries).
  const ran = runSync(name, args, { timeoutMs: 10_000, stderr: 'ignore' });
  return ran.stdout !== '' ? ran.stdout : ran.status === 0 && ran.interrupted === null ? '' : null;
};

/** LocalAI logs every request; the llama.cpp CPU build is named once, when the model loads: grep for it. */
const VARIANT_PATTERN = 'libggml-cpu-|llama-cpp-(avx|fallback)';
/** Lines doctor needs however long ago they were logged: LocalAI's CPU build, a worker relay's READY=YES. */
const KEPT_LINES: Readonly<Record<string, string>> = {
  [UNITS.localai]: VARIANT_PATTERN,
  [UNITS.relay]: READY_LOG.mark,
};

function journal(unit: string): string | null {
  const lines = ['-u', unit, '-b', '--no-pager', '-o', 'cat'];
  const tail = live('journalctl', [...lines, '-n', '3000']);
  const pattern = KEPT_LINES[unit];
  if (pattern === undefined) return tail;
  const kept = live('journalctl', [...lines, '--grep', pattern]);
  return kept === null ? tail : `${kept}\n${tail ?? ''}`;
}

const UNIT_PROPERTIES =
  '--property=LoadState,ActiveState,SubState,Result,ExecMainCode,ExecMainStatus,NRestarts,UnitFileState';

/** The machine itself. */
export const machineHost: HostPort = {
  root: '/',
  services: systemd,
  addUsers: addSystemUsers,
  installPackages: (packages, env) => {
    const options = {
      env: { ...env, DEBIAN_FRONTEND: 'noninteractive' },
      stdout: 'inherit',
      stderr: 'inherit',
    } as const;
    succeeded(runSync('apt-get', ['update'], options));
    succeeded(runSync('apt-get', ['install', '-y', '--no-install-recommends', ...packages], options));
  },
  run: (command, env) => {
    succeeded(
      runSync(command.command, command.args, {
        cwd: command.cwd,
        env: { ...env, ...command.env },
        stdout: 'inherit',
        stderr: 'inherit',
      }),
    );
    return true;
  },
  target: APPLIANCE_TARGET,
  observer: {
    unit: (unit) => ({ show: live('systemctl', ['show', unit, UNIT_PROPERTIES]), journal: journal(unit) }),
    relayHealth: () => readRelayHealth(RELAY_HEALTH_URL, 5_000),
    system: liveSystem,
    contextEnvironment: (env) => env,
    addresses: (found) => found,
  },
};

const readOrNull = (path: string): string | null => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
};

/** A directory standing in for the machine: actions recorded in ROOT/services.log, answers replayed. */
export function recordingHost(root: string): HostPort {
  const record = recordUnder(root);
  const recorded = (...parts: string[]) => posix.join(root, 'doctor', ...parts);
  return {
    root,
    services: recordingServices(root),
    addUsers: addUsersUnder(root),
    installPackages: (packages) => record(`apt-get install -y --no-install-recommends ${packages.join(' ')}`),
    run: (command) => {
      record(command.text);
      return false;
    },
    target: { ...APPLIANCE_TARGET, root, systemModules: false },
    observer: {
      unit: (unit) => ({
        show: readOrNull(recorded('systemctl', `${unit}.show`)),
        journal: readOrNull(recorded('journal', `${unit}.log`)),
      }),
      relayHealth: async () => {
        const text = readOrNull(recorded('relay-health.json'));
        if (text === null) return null;
        try {
          return JSON.parse(text) as RelayHealth;
        } catch {
          return { error: `${recorded('relay-health.json')} is not JSON` };
        }
      },
      system: { disk: liveSystem.disk, network: () => ({ hostname: 'unknown', addresses: [] }) },
      contextEnvironment: () => ({}),
      addresses: () => null,
    },
  };
}

/** The one choice between the machine and a directory standing in for it. */
export const hostAt = (root: string): HostPort => (root === '/' ? machineHost : recordingHost(root));
