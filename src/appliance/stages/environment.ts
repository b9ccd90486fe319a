/** What a stage run needs from the outside world, gathered once by the CLI and passed down. */
import { existsSync } from 'node:fs';
import { posix } from 'node:path';
import { ONE_ENV } from '../../core/facts/layout.ts';
import { APPLIANCE_TARGET, type ServingTarget } from '../../core/facts/target.ts';
import type { OwnerResolver } from '../apply/files.ts';
import { ownersUnder } from '../apply/owners.ts';
import { recordingServices, type ServiceManager, systemd } from '../apply/services.ts';
import { readContext } from '../prepare/context.ts';

export { ONE_ENV };

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
  const context = readContext(env, contextFile);
  return {
    root,
    procDir: options.proc ?? '/proc',
    // The hook exports the context into the environment; one_env (or --context) has the same values and wins.
    contextValues: context.values,
    env: { ...Object.fromEntries(context.fileValues), ...env },
    services: root === '/' ? systemd : recordingServices(root),
    owners: ownersUnder(root),
    target: root === '/' ? APPLIANCE_TARGET : { ...APPLIANCE_TARGET, root },
    now: () => new Date(),
    log,
  };
}
