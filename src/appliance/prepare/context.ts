/**
 * The one context loader: the environment plus a context file (one-context's one_env, or a context.sh given with
 * --context) → the ONEAPP_COPILOT_* values → settings. The file's values win over the environment's.
 */
import { readFileSync } from 'node:fs';
import { parseContextFile } from '../../core/settings/contextFile.ts';
import { type LoadResult, loadSettings, mergeSources, type Source } from '../../core/settings/load.ts';

export interface Context {
  /** Every variable the file holds (OneGate token and endpoint too, not only ONEAPP_COPILOT_*). */
  readonly fileValues: ReadonlyMap<string, string>;
  /** The ONEAPP_COPILOT_* values: the environment's, with the file's winning. */
  readonly values: ReadonlyMap<string, string>;
}

/** readText may return null for a file that cannot be read (doctor goes on without it); the default throws. */
export function readContext(
  env: Source,
  file: string | undefined,
  readText: (path: string) => string | null = (path) => readFileSync(path, 'utf8'),
): Context {
  const text = file === undefined ? null : readText(file);
  const fileValues = text === null ? new Map<string, string>() : parseContextFile(text);
  return { fileValues, values: mergeSources(env, fileValues) };
}

/**
 * The environment the stages (and `plan`, which previews them) run with: the context file's variables, the
 * process's own on top (the one-apps hook exports the same context into it).
 */
export function contextEnvironment(env: NodeJS.ProcessEnv, context: Context): NodeJS.ProcessEnv {
  return { ...Object.fromEntries(context.fileValues), ...env };
}

/** The settings of a context: every value parsed, or every problem. */
export function loadContextSettings(context: Context, now: Date): LoadResult {
  return loadSettings(context.values, { now });
}
