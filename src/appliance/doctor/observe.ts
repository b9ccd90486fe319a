/**
 * Gathers the doctor's observations: files under the root, /proc-style files, and what systemctl, journalctl and
 * the relay say — live on the VM, or with --root from recorded files under ROOT/doctor/ (for tests and for
 * looking at another machine's state):
 *
 *   ROOT/doctor/systemctl/<unit>.show   output of `systemctl show <unit>`
 *   ROOT/doctor/journal/<unit>.log      output of `journalctl -u <unit> -b -o cat`
 *   ROOT/doctor/relay-health.json       {"status": 200, "body": "{\"status\":\"ready\"}"} or {"error": "ECONNREFUSED"}
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { posix } from 'node:path';
import { LAYOUT, ONE_ENV, RELAY_ADDRESS } from '../../core/facts/layout.ts';
import { MODEL } from '../../core/facts/model.ts';
import { STARTED_UNITS, UNITS } from '../../core/facts/units.ts';
import { loadSettings } from '../../core/settings/load.ts';
import { liveSystem, readHostFacts, type SystemProbe } from '../host/reader.ts';
import { loadContextSettings, readContext } from '../prepare/context.ts';
import type { DoctorObservations, RelayHealth, UnitObservation } from './observations.ts';
import { type ListenSocket, parseProcNetTcp } from './procNet.ts';

export interface DoctorOptions {
  readonly root: string;
  readonly proc: string;
  readonly context?: string;
}

/** What doctor asks the system; live or recorded. */
export interface SystemSources {
  unit(unit: string): UnitObservation;
  relayHealth(): Promise<RelayHealth | null>;
}

/** Paths that exist but could not be read (doctor not run as root). */
const unreadable: string[] = [];

const readText = (path: string): string | null => {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EACCES') unreadable.push(path);
    return null;
  }
};

function command(name: string, args: readonly string[]): string | null {
  try {
    return execFileSync(name, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 10_000,
    });
  } catch (error) {
    // systemctl show exits 0 even for unknown units; journalctl may exit 1 with output (no entries).
    const stdout = (error as { stdout?: string }).stdout;
    return typeof stdout === 'string' && stdout !== '' ? stdout : null;
  }
}

/** LocalAI logs every request; the llama.cpp CPU build is named once, when the model loads: grep for it. */
const VARIANT_PATTERN = 'libggml-cpu-|llama-cpp-(avx|fallback)';

function journal(unit: string): string | null {
  const tail = command('journalctl', ['-u', unit, '-b', '--no-pager', '-o', 'cat', '-n', '3000']);
  if (unit !== UNITS.localai) return tail;
  const variant = command('journalctl', [
    '-u',
    unit,
    '-b',
    '--no-pager',
    '-o',
    'cat',
    '--grep',
    VARIANT_PATTERN,
  ]);
  return variant === null ? tail : `${variant}\n${tail ?? ''}`;
}

export const liveSources: SystemSources = {
  unit: (unit) => ({
    show: command('systemctl', [
      'show',
      unit,
      '--property=LoadState,ActiveState,SubState,Result,ExecMainCode,ExecMainStatus,NRestarts,UnitFileState',
    ]),
    journal: journal(unit),
  }),
  relayHealth: () =>
    new Promise((resolve) => {
      const req = request(
        { host: RELAY_ADDRESS.host, port: RELAY_ADDRESS.port, path: '/health', timeout: 5_000 },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            body += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('no answer in 5 s'), { code: 'TIMEOUT' })));
      req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
      req.end();
    }),
};

export function recordedSources(root: string): SystemSources {
  const at = (...parts: string[]) => posix.join(root, 'doctor', ...parts);
  return {
    unit: (unit) => ({
      show: readText(at('systemctl', `${unit}.show`)),
      journal: readText(at('journal', `${unit}.log`)),
    }),
    relayHealth: async () => {
      const text = readText(at('relay-health.json'));
      if (text === null) return null;
      try {
        return JSON.parse(text) as RelayHealth;
      } catch {
        return { error: `${at('relay-health.json')} is not JSON` };
      }
    },
  };
}

function listening(proc: string): ListenSocket[] | null {
  const v4 = readText(posix.join(proc, 'net/tcp'));
  const v6 = readText(posix.join(proc, 'net/tcp6'));
  if (v4 === null && v6 === null) return null;
  return [...(v4 === null ? [] : parseProcNetTcp(v4, 4)), ...(v6 === null ? [] : parseProcNetTcp(v6, 6))];
}

export async function observe(
  options: DoctorOptions,
  env: NodeJS.ProcessEnv,
  sources: SystemSources,
  now: Date,
): Promise<DoctorObservations> {
  unreadable.length = 0;
  const root = posix.resolve(options.root);
  const at = (path: string) => posix.join(root, path);
  const live = root === '/';
  const contextFile = options.context ?? (live ? ONE_ENV : at(ONE_ENV));
  const loaded = loadContextSettings(readContext(live ? env : {}, contextFile, readText), now);
  const defaults = loadSettings(new Map(), { now });
  if (!defaults.ok) throw new Error('the default settings do not load; this is a bug');
  const system: SystemProbe = live
    ? liveSystem
    : { disk: liveSystem.disk, network: () => ({ hostname: 'unknown', addresses: [] }) };
  let host: DoctorObservations['host'];
  try {
    host = readHostFacts({ procDir: options.proc, diskPath: at(LAYOUT.localaiModels), system });
  } catch (error) {
    host = { error: (error as Error).message };
  }
  let modelFileBytes: number | null = null;
  try {
    modelFileBytes = statSync(at(`${LAYOUT.localaiModels}/${MODEL.file}`)).size;
  } catch {
    modelFileBytes = null;
  }
  return {
    now,
    root,
    host,
    settings: loaded.ok
      ? { ok: true, settings: loaded.settings }
      : { ok: false, problems: loaded.problems, defaults: defaults.settings },
    report: readText(at(LAYOUT.report)),
    certificate: readText(at(LAYOUT.tlsCertificate)),
    caPublic: readText(at(LAYOUT.tlsCaPublic)),
    localaiEnv: readText(at(LAYOUT.localaiEnvFile)),
    modelFileBytes,
    units: Object.fromEntries(STARTED_UNITS.map((unit) => [unit, sources.unit(unit)])),
    listening: listening(options.proc),
    relayHealth: await sources.relayHealth(),
    addresses: live && !('error' in host) ? host.network.addresses : null,
    unreadable: [...unreadable],
  };
}
