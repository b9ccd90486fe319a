/**
 * The benchmark's numbers per prompt size (medians over repetitions) and what they suggest: a CPU model that
 * hides AVX2, a prompt cache that does not work, how long Cline's first turn will take. Pure.
 */
import { sizeLabel } from './conversation.ts';
import type { Measurement } from './measure.ts';

export interface SecondTurn {
  readonly promptTokens: number | null;
  readonly ttftMs: number | null;
  /** Prompt processing of the second turn: the server's timing, else the time to first token. */
  readonly prefillMs: number | null;
  /** What processing the whole second prompt would take at the first turn's rate. */
  readonly fullPrefillMs: number | null;
  readonly cachedTokens: number | null;
  /** Share of the second prompt that did not need processing (0–1). */
  readonly reuse: number | null;
  readonly verdict: CacheVerdict;
}

export type CacheVerdict = 'reused' | 'not-reused' | 'unclear' | 'unknown';

export interface SizeSummary {
  readonly size: number;
  readonly label: string;
  readonly repetitions: number;
  readonly promptTokens: number | null;
  readonly ttftMs: number | null;
  readonly prefillTokensPerSecond: number | null;
  readonly decodeTokensPerSecond: number | null;
  readonly source: 'server' | 'client' | null;
  readonly secondTurn: SecondTurn | null;
  readonly errors: readonly string[];
}

export interface Diagnosis {
  readonly id: 'host-passthrough' | 'prompt-cache' | 'cline-first-turn';
  readonly status: 'pass' | 'warn' | 'info';
  readonly message: string;
  readonly fix?: string;
}

/** Devstral Small 2 on a CPU with AVX2 prefills at roughly 3 tokens/s per core and decodes at 2–20 tokens/s;
 * without AVX2 (QEMU's default CPU model) both drop about 20 times. */
export const SLOW_PREFILL_TOKENS_PER_SECOND = 10;
export const SLOW_DECODE_TOKENS_PER_SECOND = 1;
/** Cline's first request: its system prompt and the task (10–20k tokens). */
export const CLINE_FIRST_TURN_TOKENS = 15_000;

export function median(values: readonly (number | null)[]): number | null {
  const known = values.filter((value): value is number => value !== null).sort((a, b) => a - b);
  if (known.length === 0) return null;
  const middle = Math.floor(known.length / 2);
  return known.length % 2 === 1
    ? (known[middle] as number)
    : ((known[middle - 1] as number) + (known[middle] as number)) / 2;
}

function secondTurnOf(turn2: readonly Measurement[], prefillRate: number | null): SecondTurn | null {
  if (turn2.length === 0) return null;
  const promptTokens = median(turn2.map((m) => m.promptTokens));
  const prefillMs = median(turn2.map((m) => m.serverPromptMs ?? m.ttftMs));
  const cachedTokens = median(turn2.map((m) => m.cachedTokens));
  const fullPrefillMs =
    promptTokens !== null && prefillRate !== null ? (promptTokens * 1000) / prefillRate : null;
  let reuse: number | null = null;
  let verdict: CacheVerdict = 'unknown';
  if (cachedTokens !== null && promptTokens !== null && promptTokens > 0) {
    reuse = cachedTokens / promptTokens;
    verdict = reuse >= 0.5 ? 'reused' : 'not-reused';
  } else if (prefillMs !== null && fullPrefillMs !== null && fullPrefillMs > 0) {
    const ratio = prefillMs / fullPrefillMs;
    reuse = Math.min(1, Math.max(0, 1 - ratio));
    verdict = ratio <= 0.5 ? 'reused' : ratio >= 0.8 ? 'not-reused' : 'unclear';
  }
  return {
    promptTokens,
    ttftMs: median(turn2.map((m) => m.ttftMs)),
    prefillMs,
    fullPrefillMs,
    cachedTokens,
    reuse,
    verdict,
  };
}

export function summarise(measurements: readonly Measurement[], sizes: readonly number[]): SizeSummary[] {
  return sizes.map((size) => {
    const mine = measurements.filter((m) => m.size === size);
    const first = mine.filter((m) => m.turn === 1 && m.ok);
    const second = mine.filter((m) => m.turn === 2 && m.ok);
    const prefill = median(first.map((m) => m.prefillTokensPerSecond));
    return {
      size,
      label: sizeLabel(size),
      repetitions: first.length,
      promptTokens: median(first.map((m) => m.promptTokens)),
      ttftMs: median(first.map((m) => m.ttftMs)),
      prefillTokensPerSecond: prefill,
      decodeTokensPerSecond: median(first.map((m) => m.decodeTokensPerSecond)),
      source: first[0]?.source ?? null,
      secondTurn: secondTurnOf(second, prefill),
      errors: mine.filter((m) => !m.ok).map((m) => `turn ${m.turn}: ${m.error ?? 'failed'}`),
    };
  });
}

const fixed = (value: number) => (value >= 100 ? value.toFixed(0) : value.toFixed(1));

export function diagnose(summaries: readonly SizeSummary[], model: string): Diagnosis[] {
  const measured = summaries.filter((s) => s.prefillTokensPerSecond !== null);
  const largest = measured.at(-1);
  if (largest === undefined) return [];
  const diagnoses: Diagnosis[] = [];
  const prefill = largest.prefillTokensPerSecond as number;
  const decode = median(measured.map((s) => s.decodeTokensPerSecond));
  if (/devstral/i.test(model)) {
    const slow =
      prefill < SLOW_PREFILL_TOKENS_PER_SECOND || (decode !== null && decode < SLOW_DECODE_TOKENS_PER_SECOND);
    diagnoses.push(
      slow
        ? {
            id: 'host-passthrough',
            status: 'warn',
            message: `prefill ${fixed(prefill)} tokens/s and decode ${decode === null ? '?' : fixed(decode)} tokens/s are far below what Devstral Small 2 reaches on a CPU with AVX2 (about 3 tokens/s of prefill per core, 2–20 tokens/s of decode): this looks like a VM without a host-passthrough CPU model (QEMU's default hides AVX2, about 20 times slower)`,
            fix: 'set CPU_MODEL=[MODEL="host-passthrough"] in the VM template (power the VM off and on); `slm-copilot doctor` on the VM shows the CPU flags',
          }
        : {
            id: 'host-passthrough',
            status: 'pass',
            message: `prefill ${fixed(prefill)} tokens/s and decode ${decode === null ? '?' : fixed(decode)} tokens/s: no sign of a CPU model that hides AVX2`,
          },
    );
  }
  const withSecond = summaries
    .filter((s) => s.secondTurn !== null && s.secondTurn.verdict !== 'unknown')
    .at(-1);
  const turn = withSecond?.secondTurn;
  if (withSecond !== undefined && turn !== undefined && turn !== null) {
    const seconds = (ms: number | null) => (ms === null ? '?' : `${(ms / 1000).toFixed(1)} s`);
    const facts = `the ${withSecond.label} second turn (${turn.promptTokens ?? '?'} tokens) took ${seconds(turn.prefillMs)} to process, ${seconds(turn.fullPrefillMs)} at the first turn's rate for all of it`;
    if (turn.verdict === 'not-reused') {
      diagnoses.push({
        id: 'prompt-cache',
        status: 'warn',
        message: `${facts}: the whole conversation was processed again, so the prompt cache looks disabled and every Cline turn will cost a full prefill`,
        fix: "LocalAI before 4.3 needs prompt_cache_all: true in the model YAML (the appliance's 4.9.0 caches by default); check cache_ram and that requests keep their beginning unchanged between turns",
      });
    } else {
      diagnoses.push({
        id: 'prompt-cache',
        status: turn.verdict === 'reused' ? 'pass' : 'info',
        message: `${facts}: ${turn.verdict === 'reused' ? `the prompt cache works (about ${Math.round((turn.reuse ?? 0) * 100)}% reused)` : 'prompt cache reuse is unclear; run with --repeat 3'}`,
      });
    }
  }
  const firstTurnSeconds = CLINE_FIRST_TURN_TOKENS / prefill;
  diagnoses.push({
    id: 'cline-first-turn',
    status: 'info',
    message: `a first Cline request (~${CLINE_FIRST_TURN_TOKENS / 1000}k tokens of system prompt and task) takes about ${firstTurnSeconds >= 120 ? `${Math.round(firstTurnSeconds / 60)} min` : `${Math.round(firstTurnSeconds)} s`} before its first token; later turns reuse the cache`,
  });
  return diagnoses;
}
