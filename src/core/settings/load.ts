/** Loading the settings: from the environment and an optional context file, into values or all problems. */

import { FRONT_ADDRESS_SUBSTITUTION, SERVICE_SECRET_MIN_LENGTH } from '../facts/oneflow.ts';
import { pairProblems } from './certificate.ts';
import { DECLARATIONS, type SettingKey, type Settings } from './declarations.ts';
import type { ParseContext, SettingsProblem } from './types.ts';

export const PREFIX = 'ONEAPP_COPILOT_';

export type LoadResult =
  | { readonly ok: true; readonly settings: Settings; readonly warnings: readonly string[] }
  | {
      readonly ok: false;
      readonly problems: readonly SettingsProblem[];
      readonly warnings: readonly string[];
    };

export type Source = Readonly<Record<string, string | undefined>> | ReadonlyMap<string, string>;

/** Later sources win: pass the environment first and the context file after it. */
export function mergeSources(...sources: Source[]): Map<string, string> {
  const merged = new Map<string, string>();
  for (const source of sources) {
    const entries = source instanceof Map ? source.entries() : Object.entries(source);
    for (const [name, value] of entries) {
      if (name.startsWith(PREFIX) && value !== undefined) merged.set(name, value);
    }
  }
  return merged;
}

export function loadSettings(values: ReadonlyMap<string, string>, context: ParseContext): LoadResult {
  const problems: SettingsProblem[] = [];
  const parsed: Partial<Record<SettingKey, unknown>> = {};
  for (const [key, declaration] of Object.entries(DECLARATIONS) as [
    SettingKey,
    (typeof DECLARATIONS)[SettingKey],
  ][]) {
    const raw = values.get(declaration.name) ?? '';
    const text = raw.trim() === '' ? declaration.default : raw;
    const result = declaration.parse(text, context);
    if (result.ok) parsed[key] = result.value;
    else for (const message of result.problems) problems.push({ variable: declaration.name, message });
  }
  if (
    !problems.some(
      (p) => p.variable === DECLARATIONS.tlsCertificate.name || p.variable === DECLARATIONS.tlsKey.name,
    )
  ) {
    for (const message of pairProblems(
      (parsed.tlsCertificate ?? null) as Settings['tlsCertificate'],
      (parsed.tlsKey ?? null) as Settings['tlsKey'],
    )) {
      problems.push({ variable: DECLARATIONS.tlsCertificate.name, message });
    }
  }
  if (parsed.role !== undefined && parsed.role !== 'standalone' && parsed.serviceSecret === null) {
    problems.push({
      variable: DECLARATIONS.serviceSecret.name,
      message: `no secret given, but ${DECLARATIONS.role.name} is ${parsed.role}: a OneFlow service's front and workers need the same secret of at least ${SERVICE_SECRET_MIN_LENGTH} characters: set it as a service input when instantiating the service (e.g. openssl rand -hex 32).`,
    });
  }
  if (parsed.role === 'worker' && parsed.frontAddress === null) {
    problems.push({
      variable: DECLARATIONS.frontAddress.name,
      message: `no address given, but ${DECLARATIONS.role.name} is worker: a worker serves only its front and must know its address. The SLM-Copilot service template sets it (${DECLARATIONS.frontAddress.name} = "${FRONT_ADDRESS_SUBSTITUTION}" in the worker role); when you write your own, add that line to the worker role.`,
    });
  }
  const warnings = unknownNames(values);
  if (problems.length > 0) return { ok: false, problems, warnings };
  return { ok: true, settings: parsed as Settings, warnings };
}

/** Names with our prefix that are not declared: most likely typos, so say which known name is closest. */
function unknownNames(values: ReadonlyMap<string, string>): string[] {
  const known = Object.values(DECLARATIONS).map((declaration) => declaration.name as string);
  return [...values.keys()]
    .filter((name) => name.startsWith(PREFIX) && !known.includes(name))
    .sort()
    .map((name) => {
      const closest = [...known].sort((a, b) => distance(name, a) - distance(name, b))[0];
      return `${name} is not a variable SLM-Copilot knows and is ignored; did you mean ${closest}?`;
    });
}

function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + cost,
      );
    }
    previous = current;
  }
  return previous[b.length] as number;
}
