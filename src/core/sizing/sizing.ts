/**
 * Sizing: threads, context window and the memory budget with every part shown. Pure arithmetic on
 * settings and host facts; the numbers and their sources are explained next to each constant.
 */

import { MICRO_BATCH, MODEL } from '../facts/model.ts';
import type { HostFacts } from '../host/types.ts';
import { GIB, MIB } from '../lib/bytes.ts';

export { GIB, MIB } from '../lib/bytes.ts';

/** f16 K and V for every layer and KV head: 2 × 40 × 8 × 128 × 2 B = 160 KiB per token. */
export const KV_BYTES_PER_TOKEN = 2 * MODEL.layers * MODEL.kvHeads * MODEL.headDim * 2;

/** Context steps `auto` chooses from, largest first that fits. */
export const AUTO_CONTEXT_STEPS = [32_768, 24_576, 16_384, 8_192] as const;

/** Kernel, nginx, relay, LocalAI's own process, sshd, journald: what must stay free besides the model. */
export const SYSTEM_RESERVE_BYTES = 1.5 * GIB;

/** Upper bound for llama.cpp's host-RAM prompt cache (cache_ram). LocalAI's default is unbounded: never render that. */
export const PROMPT_CACHE_MAX_MIB = 8_192;

/** Rough CPU prefill speed per physical core for a dense 24B Q4_K_M with AVX2 (30–60 tok/s on 16 cores). */
export const PREFILL_TOKENS_PER_CORE_SECOND = 3;
/** Without AVX2 llama.cpp falls back to SSE kernels: about 20 times slower (EuroCopilot 2.6.0 measurement). */
export const NO_AVX2_SLOWDOWN = 20;

export const MIN_RECOMMENDED_CORES = 8;

/**
 * llama.cpp's compute buffer without flash attention: the attention scores of one micro-batch against the
 * whole context (ubatch × n_ctx × heads × f32), the logits (ubatch × vocabulary × f32), and scratch.
 */
export function computeBufferBytes(contextTokens: number): number {
  return (
    MICRO_BATCH * contextTokens * MODEL.attentionHeads * 4 + MICRO_BATCH * MODEL.vocabulary * 4 + 256 * MIB
  );
}

export interface MemoryPart {
  /** Short identifier for reports and JSON. */
  readonly key: string;
  readonly name: string;
  readonly bytes: number;
}

export interface MemoryBudget {
  readonly parts: readonly MemoryPart[];
  /** Sum of the parts: what the appliance may use at its peak. */
  readonly totalBytes: number;
  readonly hostBytes: number;
}

/** Everything except the prompt cache, for a context size. */
export function fixedBytes(contextTokens: number): number {
  return (
    MODEL.weightsBytes +
    KV_BYTES_PER_TOKEN * contextTokens +
    computeBufferBytes(contextTokens) +
    SYSTEM_RESERVE_BYTES
  );
}

/** Prompt cache in MiB from what is left, in 256 MiB steps, at most PROMPT_CACHE_MAX_MIB (0 when nothing is left). */
export function promptCacheMib(hostBytes: number, contextTokens: number): number {
  const leftMib = Math.floor((hostBytes - fixedBytes(contextTokens)) / MIB);
  return Math.max(0, Math.min(PROMPT_CACHE_MAX_MIB, Math.floor(leftMib / 256) * 256));
}

export function memoryBudget(hostBytes: number, contextTokens: number, cacheMib: number): MemoryBudget {
  const parts: MemoryPart[] = [
    { key: 'weights', name: `model weights (${MODEL.file})`, bytes: MODEL.weightsBytes },
    {
      key: 'kv_cache',
      name: `KV cache (${contextTokens} tokens × 160 KiB, f16)`,
      bytes: KV_BYTES_PER_TOKEN * contextTokens,
    },
    { key: 'compute_buffers', name: 'compute buffers', bytes: computeBufferBytes(contextTokens) },
    { key: 'prompt_cache', name: 'prompt cache (cache_ram)', bytes: cacheMib * MIB },
    { key: 'system', name: 'operating system and services', bytes: SYSTEM_RESERVE_BYTES },
  ];
  return { parts, totalBytes: parts.reduce((sum, part) => sum + part.bytes, 0), hostBytes };
}

/** Largest context (in 1024-token steps) whose fixed parts fit the host, or 0. */
export function largestFittingContext(hostBytes: number): number {
  const perToken = KV_BYTES_PER_TOKEN + MICRO_BATCH * MODEL.attentionHeads * 4;
  const fixedWithoutContext = fixedBytes(0);
  const tokens = Math.floor((hostBytes - fixedWithoutContext) / perToken / 1024) * 1024;
  return Math.max(0, Math.min(tokens, MODEL.trainedContext));
}

/** Estimated prompt-processing speed, tokens per second. */
export function estimatedPrefillRate(host: HostFacts, threads: number): number {
  const cores = Math.min(threads, host.cpu.physicalCores);
  const rate = cores * PREFILL_TOKENS_PER_CORE_SECOND;
  return host.cpu.flags.avx2 ? rate : rate / NO_AVX2_SLOWDOWN;
}
