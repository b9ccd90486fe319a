/**
 * Learned prompt prefixes: the part of a chat request before its first user turn, as the relay forwards it (after
 * normalisation), with what shapes the prompt besides the messages. Pure: extraction, identity (a hash), the
 * keep/forget rules and the warm-up request built from an entry. prefixStore.ts reads and writes them; warmup.ts
 * learns and replays them.
 */
import { createHash } from 'node:crypto';
import { isRecord } from '../../core/lib/isRecord.ts';
import type { Json } from './normalise.ts';

/** Request fields that change the rendered prompt (and so the tokens llama.cpp caches) besides the messages. */
export const SHAPING_FIELDS = [
  'model',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'chat_template_kwargs',
] as const;

/** What a warm-up replays: the messages before the first user turn and the shaping fields that were present. */
export interface PrefixRequest {
  readonly messages: readonly Json[];
  readonly shape: { readonly [field: string]: Json };
}

export interface Prefix {
  /** sha256 (hex) of the canonical JSON of the request: the identity, shown in /metrics instead of content. */
  readonly hash: string;
  readonly request: PrefixRequest;
}

export interface PrefixEntry extends Prefix {
  /** The API key name that last used it. */
  readonly key: string;
  /** Wall-clock milliseconds (Date.now()) of the last real request that used it. */
  readonly lastUsedMs: number;
  /** Prompt tokens: the warm-up's own usage, else the smallest request usage seen (an upper bound); null unknown. */
  readonly tokens: number | null;
}

/** JSON with object keys sorted, so equal requests hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isRecord<Record<string, unknown>>(value)) {
    return `{${Object.keys(value)
      .filter((key) => value[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function prefixHash(request: PrefixRequest): string {
  return createHash('sha256').update(canonicalJson(request)).digest('hex');
}

/**
 * The prefix of a forwarded chat request body, or null when it has none worth keeping: not JSON, no messages,
 * no user turn, or nothing before the first user turn.
 */
export function extractPrefix(body: Buffer): Prefix | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return null;
  }
  if (!isRecord<Record<string, Json>>(parsed)) return null;
  const messages = parsed.messages;
  if (!Array.isArray(messages)) return null;
  const firstUser = messages.findIndex((message) => isRecord(message) && message.role === 'user');
  if (firstUser <= 0) return null;
  const shape: Record<string, Json> = {};
  for (const field of SHAPING_FIELDS) {
    const value = parsed[field];
    if (value !== undefined) shape[field] = value;
  }
  const request: PrefixRequest = { messages: messages.slice(0, firstUser), shape };
  return { hash: prefixHash(request), request };
}

/** A real request used `prefix`: the entry moves to the front with this key and time; tokens keep the smallest. */
export function recordUse(
  entries: readonly PrefixEntry[],
  prefix: Prefix,
  key: string,
  nowMs: number,
): PrefixEntry[] {
  const previous = entries.find((entry) => entry.hash === prefix.hash);
  const updated: PrefixEntry = {
    hash: prefix.hash,
    request: prefix.request,
    key,
    lastUsedMs: nowMs,
    tokens: previous?.tokens ?? null,
  };
  return [updated, ...entries.filter((entry) => entry.hash !== prefix.hash)];
}

/**
 * Prompt tokens seen for `hash`. A real request's usage counts the whole prompt, so it only ever lowers the
 * estimate (`exact: false`); a warm-up's usage is the prefix plus a few tokens of neutral turn (`exact: true`).
 */
export function recordTokens(
  entries: readonly PrefixEntry[],
  hash: string,
  tokens: number,
  exact: boolean,
): PrefixEntry[] {
  return entries.map((entry) =>
    entry.hash !== hash
      ? entry
      : { ...entry, tokens: exact || entry.tokens === null ? tokens : Math.min(entry.tokens, tokens) },
  );
}

/** Tokens an entry is counted as: its known count, else a rough estimate from its size (4 bytes per token). */
export function tokensOf(entry: Prefix & { readonly tokens: number | null }): number {
  return entry.tokens ?? Math.ceil(canonicalJson(entry.request).length / 4);
}

export interface KeepRules {
  readonly nowMs: number;
  /** ONEAPP_COPILOT_API_WARMUP. */
  readonly maxEntries: number;
  readonly budgetTokens: number;
  /** Key names still in AUTH_KEYS: every other name's entries go. null: no name is pruned (names unknown). */
  readonly keyNames: ReadonlySet<string> | null;
  readonly expiryMs: number;
}

/**
 * What is kept: entries of known keys used within the expiry, most recent first, at most `maxEntries`, and only
 * as many as fit the token budget together (an entry that does not fit is dropped, smaller later ones may stay).
 */
export function keep(entries: readonly PrefixEntry[], rules: KeepRules): PrefixEntry[] {
  const sorted = entries
    .filter(
      (entry) =>
        (rules.keyNames === null || rules.keyNames.has(entry.key)) &&
        rules.nowMs - entry.lastUsedMs < rules.expiryMs,
    )
    .sort((a, b) => b.lastUsedMs - a.lastUsedMs);
  const kept: PrefixEntry[] = [];
  let tokens = 0;
  for (const entry of sorted) {
    if (kept.length >= rules.maxEntries) break;
    const size = tokensOf(entry);
    if (tokens + size > rules.budgetTokens) continue;
    kept.push(entry);
    tokens += size;
  }
  return kept;
}

/**
 * The warm-up request for an entry: the prefix, a short neutral user turn, one token, streamed (so closing the
 * connection cancels the task in LocalAI as a client's disconnect does), usage asked for.
 */
export function warmupRequest(request: PrefixRequest, userTurn: string): Record<string, Json> {
  return {
    ...request.shape,
    messages: [...request.messages, { role: 'user', content: userTurn }],
    max_tokens: 1,
    stream: true,
    stream_options: { include_usage: true },
  };
}

/** Short hash for /metrics labels and log lines. */
export const shortHash = (hash: string): string => hash.slice(0, 16);

/** Parses stored entries; null when anything is not as written (the store is then discarded). */
export function parseEntries(json: unknown): PrefixEntry[] | null {
  if (!isRecord<Record<string, unknown>>(json) || json.version !== 1 || !Array.isArray(json.entries))
    return null;
  const entries: PrefixEntry[] = [];
  for (const raw of json.entries) {
    if (!isRecord<Record<string, unknown>>(raw)) return null;
    const { key, lastUsedMs, tokens, request } = raw;
    if (typeof key !== 'string' || typeof lastUsedMs !== 'number' || !Number.isFinite(lastUsedMs))
      return null;
    if (tokens !== null && (typeof tokens !== 'number' || !Number.isInteger(tokens) || tokens < 0))
      return null;
    if (!isRecord<Record<string, unknown>>(request) || !Array.isArray(request.messages)) return null;
    if (!isRecord<Record<string, Json>>(request.shape)) return null;
    const prefixRequest: PrefixRequest = {
      messages: request.messages as Json[],
      shape: request.shape as Record<string, Json>,
    };
    // The hash is recomputed, never trusted: an edited entry is simply a different prefix.
    entries.push({ hash: prefixHash(prefixRequest), request: prefixRequest, key, lastUsedMs, tokens });
  }
  return entries;
}

export function serialiseEntries(entries: readonly PrefixEntry[]): string {
  return `${JSON.stringify({
    version: 1,
    entries: entries.map((entry) => ({
      hash: entry.hash,
      key: entry.key,
      lastUsedMs: entry.lastUsedMs,
      tokens: entry.tokens,
      request: entry.request,
    })),
  })}\n`;
}
