/**
 * Code-like synthetic text of a chosen size: TypeScript-shaped functions, types and comments from a seeded
 * generator, so runs are comparable and no real source is needed. Pure.
 */

/** Characters per token of Devstral's tokenizer on code, roughly; the server's usage gives the real count. */
export const CHARS_PER_TOKEN = 3.5;

const NOUNS = [
  'request',
  'buffer',
  'token',
  'session',
  'config',
  'cache',
  'stream',
  'record',
  'widget',
  'ledger',
  'parser',
  'socket',
  'queue',
  'worker',
  'schema',
  'payload',
  'cursor',
  'matrix',
  'vector',
  'invoice',
  'account',
  'report',
];
const VERBS = [
  'load',
  'parse',
  'render',
  'merge',
  'split',
  'update',
  'verify',
  'encode',
  'decode',
  'flush',
  'resolve',
  'schedule',
  'collect',
  'compute',
  'index',
  'filter',
  'retry',
  'normalise',
  'validate',
  'measure',
];
const TYPES = [
  'string',
  'number',
  'boolean',
  'readonly string[]',
  'Map<string, number>',
  'Date',
  'Uint8Array',
];

/** mulberry32: small, fast, deterministic. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function pick<T>(random: () => number, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)] as T;
}

const capital = (word: string) => `${word[0]?.toUpperCase() ?? ''}${word.slice(1)}`;

function unit(random: () => number, n: number): string {
  const noun = pick(random, NOUNS);
  const other = pick(random, NOUNS);
  const verb = pick(random, VERBS);
  const name = `${verb}${capital(noun)}${n}`;
  const type = `${capital(noun)}${capital(other)}${n}`;
  const fields = Array.from({ length: 2 + Math.floor(random() * 3) }, (_, i) => {
    const field = `${pick(random, NOUNS)}${capital(pick(random, VERBS))}${i}`;
    return `  readonly ${field}: ${pick(random, TYPES)};`;
  });
  const limit = 2 + Math.floor(random() * 97);
  return `/** ${capital(verb)}s the ${noun} into a ${other}; returns null when fewer than ${limit} entries remain. */
export interface ${type} {
${fields.join('\n')}
}

export function ${name}(input: ${type}, limit = ${limit}): ${type} | null {
  const seen = new Set<string>();
  for (const [key, value] of Object.entries(input)) {
    if (seen.size >= limit) break;
    if (value === undefined || seen.has(key)) continue;
    seen.add(\`\${key}:${noun}\`);
  }
  return seen.size < limit ? null : { ...input };
}

`;
}

/** About `tokens` tokens of TypeScript-like code, the same for the same seed. */
export function syntheticCode(tokens: number, seed: number): string {
  const random = seededRandom(seed);
  const target = Math.max(1, Math.round(tokens * CHARS_PER_TOKEN));
  let text = '';
  for (let n = 0; text.length < target; n++) text += unit(random, n);
  return text.slice(0, target);
}
