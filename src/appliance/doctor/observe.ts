/**
 * Gathers the doctor's observations: files under the root, /proc-style files, and what the host port's observer
 * says — systemctl, journalctl and the relay live on the VM, or their answers recorded under a root (port.ts).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { LAYOUT, ONE_ENV } from '../../core/facts/layout.ts';
import { MODEL } from '../../core/facts/model.ts';
import { SERVICE_FILES } from '../../core/facts/oneflow.ts';
import { ROLE_UNITS } from '../../core/facts/units.ts';
import { loadSettings } from '../../core/settings/load.ts';
import type { HostPort } from '../host/port.ts';
import { readHostFacts } from '../host/reader.ts';
import { loadContextSettings, readContext } from '../prepare/context.ts';
import type { DoctorObservations } from './observations.ts';
import { type ListenSocket, parseProcNetTcp } from './procNet.ts';

export interface DoctorOptions {
  readonly proc: string;
  readonly context?: string;
}

/** Reads files, noting those that exist but could not be read (doctor not run as root). */
function reader(): { readonly read: (path: string) => string | null; readonly unreadable: string[] } {
  const unreadable: string[] = [];
  return {
    unreadable,
    read: (path) => {
      try {
        return readFileSync(path, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EACCES') unreadable.push(path);
        return null;
      }
    },
  };
}

function listening(proc: string, readText: (path: string) => string | null): ListenSocket[] | null {
  const v4 = readText(posix.join(proc, 'net/tcp'));
  const v6 = readText(posix.join(proc, 'net/tcp6'));
  if (v4 === null && v6 === null) return null;
  return [...(v4 === null ? [] : parseProcNetTcp(v4, 4)), ...(v6 === null ? [] : parseProcNetTcp(v6, 6))];
}

export async function observe(
  options: DoctorOptions,
  env: NodeJS.ProcessEnv,
  port: HostPort,
  now: Date,
): Promise<DoctorObservations> {
  const { read: readText, unreadable } = reader();
  const { root, observer } = port;
  const at = (path: string) => posix.join(root, path);
  const contextFile = options.context ?? at(ONE_ENV);
  const loaded = loadContextSettings(
    readContext(observer.contextEnvironment(env), contextFile, readText),
    now,
  );
  const defaults = loadSettings(new Map(), { now });
  if (!defaults.ok) throw new Error('the default settings do not load; this is a bug');
  let host: DoctorObservations['host'];
  try {
    host = readHostFacts({
      procDir: options.proc,
      diskPath: at(LAYOUT.localaiModels),
      system: observer.system,
    });
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
    site: readText(at(LAYOUT.nginxSite)),
    apiKeys: readText(at(LAYOUT.nginxApiKeys)),
    oneGateToken: existsSync(at(SERVICE_FILES.oneGateToken)),
    modelFileBytes,
    units: Object.fromEntries(
      ROLE_UNITS[(loaded.ok ? loaded.settings : defaults.settings).role].map((unit) => [
        unit,
        observer.unit(unit),
      ]),
    ),
    listening: listening(options.proc, readText),
    relayHealth: await observer.relayHealth(),
    addresses: 'error' in host ? null : observer.addresses(host.network.addresses),
    unreadable,
  };
}
