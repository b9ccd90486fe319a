/** What a stage run needs from the outside world, gathered once by the CLI and passed down. */
import { existsSync } from 'node:fs';
import { ONE_ENV } from '../../core/facts/layout.ts';
import type { OwnerResolver } from '../apply/files.ts';
import { ownersUnder } from '../apply/owners.ts';
import type { HostPort } from '../host/port.ts';
import { contextEnvironment, readContext } from '../prepare/context.ts';

export { ONE_ENV };

export interface StageEnvironment {
  /** The machine, or a directory standing in for it (tests): its root, services, users, packages, programs. */
  readonly host: HostPort;
  readonly procDir: string;
  readonly contextValues: ReadonlyMap<string, string>;
  /** The whole environment (OneGate token and endpoint, proxies, …). */
  readonly env: NodeJS.ProcessEnv;
  readonly owners: OwnerResolver;
  readonly now: () => Date;
  readonly log: (level: 'info' | 'warning' | 'error', message: string) => void;
}

export interface StageOptions {
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
  host: HostPort,
  options: StageOptions,
  env: NodeJS.ProcessEnv,
  log: StageEnvironment['log'],
): StageEnvironment {
  const contextFile = options.context ?? (existsSync(ONE_ENV) ? ONE_ENV : undefined);
  const context = readContext(env, contextFile);
  return {
    host,
    procDir: options.proc ?? '/proc',
    // The hook exports the context into the environment; one_env (or --context) has the same values and wins.
    contextValues: context.values,
    env: contextEnvironment(env, context),
    owners: ownersUnder(host.root),
    now: () => new Date(),
    log,
  };
}
