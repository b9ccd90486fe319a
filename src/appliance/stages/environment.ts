/** What a stage run needs from the outside world, gathered once by the CLI and passed down. */
import { existsSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { APPLIANCE_TARGET, type ServingTarget } from '../../core/facts/target.ts';
import { parseContextFile } from '../../core/settings/contextFile.ts';
import { mergeSources } from '../../core/settings/load.ts';
import type { OwnerResolver } from '../apply/files.ts';
import { ownersUnder } from '../apply/owners.ts';
import { recordingServices, type ServiceManager, systemd } from '../apply/services.ts';

/** one-context writes every context variable here (0400 root), besides exporting them to the hook. */
export const ONE_ENV = '/var/run/one-context/one_env';

export interface StageEnvironment {
  /** '/' on the appliance; a directory in tests (every file operation happens under it). */
  readonly root: string;
  readonly procDir: string;
  readonly contextValues: ReadonlyMap<string, string>;
  /** The whole environment (OneGate token and endpoint, proxies, …). */
  readonly env: NodeJS.ProcessEnv;
  readonly services: ServiceManager;
  readonly owners: OwnerResolver;
  readonly target: ServingTarget;
  readonly now: () => Date;
  readonly log: (level: 'info' | 'warning' | 'error', message: string) => void;
}

export interface StageOptions {
  readonly root?: string;
  readonly proc?: string;
  readonly context?: string;
}

/** one-apps style lines: `[timestamp] => message` (info on stdout, the rest on stderr). */
export function stageLogger(
  stdout: NodeJS.WritableStream,
  stderr: NodeJS.WritableStream,
): StageEnvironment['log'] {
  return (level, message) => {
    const line = `[${new Date().toISOString()}] => ${level === 'info' ? '' : `${level.toUpperCase()}: `}${message}\n`;
    (level === 'info' ? stdout : stderr).write(line);
  };
}

export function stageEnvironment(
  options: StageOptions,
  env: NodeJS.ProcessEnv,
  log: StageEnvironment['log'],
): StageEnvironment {
  const root = posix.resolve(options.root ?? '/');
  const contextFile = options.context ?? (existsSync(ONE_ENV) ? ONE_ENV : undefined);
  const fileValues =
    contextFile === undefined
      ? new Map<string, string>()
      : parseContextFile(readFileSync(contextFile, 'utf8'));
  return {
    root,
    procDir: options.proc ?? '/proc',
    // The hook exports the context into the environment; one_env (or --context) has the same values and wins.
    contextValues: mergeSources(env, fileValues),
    env: { ...Object.fromEntries(fileValues), ...env },
    services: root === '/' ? systemd : recordingServices(root),
    owners: ownersUnder(root),
    target: root === '/' ? APPLIANCE_TARGET : { ...APPLIANCE_TARGET, root },
    now: () => new Date(),
    log,
  };
}
