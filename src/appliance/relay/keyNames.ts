/**
 * The key names file (/etc/slm-copilot/relay-key-names.json, src/core/facts/relay.ts): which key names' stored
 * prefixes the warmer keeps. Read at start, at each warm-up pass and before each save, so a key change reaches the
 * running relay without a restart. Never logged: only whether it could be read.
 */
import { readFileSync } from 'node:fs';

export type KeyNamesRead =
  | { readonly ok: true; readonly names: ReadonlySet<string> }
  /** `reason`: an errno code, or "invalid" (not the file's JSON); never the content. */
  | { readonly ok: false; readonly reason: string };

export function parseKeyNames(json: unknown): ReadonlySet<string> | null {
  if (typeof json !== 'object' || json === null) return null;
  const { version, keyNames } = json as { version?: unknown; keyNames?: unknown };
  if (version !== 1 || !Array.isArray(keyNames) || !keyNames.every((name) => typeof name === 'string'))
    return null;
  return new Set(keyNames as string[]);
}

export function readKeyNames(path: string): KeyNamesRead {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return { ok: false, reason: (error as NodeJS.ErrnoException).code ?? 'error' };
  }
  let names: ReadonlySet<string> | null = null;
  try {
    names = parseKeyNames(JSON.parse(text));
  } catch {
    // not JSON
  }
  return names === null ? { ok: false, reason: 'invalid' } : { ok: true, names };
}
