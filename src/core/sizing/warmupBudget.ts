/**
 * How many tokens of learned prompt prefixes the relay may re-warm into llama.cpp's host-RAM prompt cache
 * (`cache_ram`). Pure arithmetic: the cache holds cache_ram / KV bytes per token tokens (Devstral f16: 160 KiB, so
 * 8 GiB ≈ 52k tokens); one live conversation of up to the whole context must still fit beside the warmed prefixes,
 * or warming would evict it (llama.cpp evicts the oldest saved entry first).
 */
import { MIB } from '../lib/bytes.ts';
import { KV_BYTES_PER_TOKEN } from './sizing.ts';

export interface WarmupBudget {
  /** Tokens the host cache holds. */
  readonly cacheTokens: number;
  /** Kept free for one live conversation (the context window, at most the whole cache). */
  readonly liveReserveTokens: number;
  /** What the warmed prefixes may take together; 0 when the cache has no room beyond one conversation. */
  readonly budgetTokens: number;
}

export function warmupBudget(promptCacheMib: number, contextTokens: number): WarmupBudget {
  const cacheTokens = Math.floor((promptCacheMib * MIB) / KV_BYTES_PER_TOKEN);
  const liveReserveTokens = Math.min(cacheTokens, contextTokens);
  return { cacheTokens, liveReserveTokens, budgetTokens: cacheTokens - liveReserveTokens };
}
