/**
 * `slm-copilot bench`: time to first token, prefill and decode speed at coding-agent prompt sizes, and whether a
 * second turn reuses the prompt cache. Requests go one after another (the model serves one at a time).
 */
import { randomBytes } from 'node:crypto';
import { EXIT, usageError } from '../../core/lib/failure.ts';
import type { Result } from '../../core/lib/result.ts';
import { evaluateTls } from '../check/tlsCheck.ts';
import { authHeader, type Credentials } from '../net/credentials.ts';
import { HttpClient } from '../net/http.ts';
import { probeTls } from '../net/tlsProbe.ts';
import { resolveTrust, type TrustOptions } from '../net/trust.ts';
import type { Target } from '../net/url.ts';
import type { Progress } from '../output/progress.ts';
import { type ChatMessage, firstTurn, secondTurn, sizeLabel } from './conversation.ts';
import { type Measurement, measure } from './measure.ts';
import { type Diagnosis, diagnose, type SizeSummary, summarise } from './summary.ts';
import { type WarmupState, warmupState } from './warmupState.ts';

export interface BenchInput {
  readonly target: Target;
  readonly trust: TrustOptions;
  readonly credentials: Credentials;
  readonly model: string;
  readonly sizes: readonly number[];
  readonly repeat: number;
  readonly maxTokens: number;
  readonly timeoutMs: number;
  readonly now: Date;
}

export interface BenchHooks {
  readonly progress?: Progress;
  readonly onMeasurement?: (measurement: Measurement) => void;
}

export type BenchRun =
  | { readonly kind: 'untrusted'; readonly tls: Result }
  | {
      readonly kind: 'ran';
      readonly tls: Result | null;
      readonly measurements: readonly Measurement[];
      readonly summaries: readonly SizeSummary[];
      readonly diagnoses: readonly Diagnosis[];
      /** Whether the appliance re-warms prompt prefixes after a model start (from /metrics). */
      readonly warmup: WarmupState;
      readonly exitCode: number;
    };

export async function runBench(input: BenchInput, hooks: BenchHooks = {}): Promise<BenchRun> {
  const auth = authHeader(input.credentials);
  if (auth === null)
    throw usageError('bench needs credentials: --key (or SLM_COPILOT_API_KEY), or --user and --password');
  const trust = await resolveTrust(input.target, input.trust);
  let tls: Result | null = null;
  if (input.target.secure) {
    const probe = trust.ok ? await probeTls(input.target, trust.trust) : null;
    tls = evaluateTls({ target: input.target, trust, probe, now: input.now });
    if (tls.status === 'fail') return { kind: 'untrusted', tls };
  }
  if (!trust.ok) return { kind: 'untrusted', tls: tls as Result };
  const client = new HttpClient(input.target, trust.trust);
  const measurements: Measurement[] = [];
  const total = input.sizes.length * input.repeat * 2;
  const send = async (
    where: { size: number; repetition: number; turn: 1 | 2 },
    messages: readonly ChatMessage[],
  ): Promise<Measurement> => {
    hooks.progress?.update(
      `${sizeLabel(where.size)} turn ${where.turn}${input.repeat > 1 ? ` (run ${where.repetition}/${input.repeat})` : ''}`,
      measurements.length,
      total,
    );
    const result = await client.request({
      path: '/v1/chat/completions',
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json', 'Extra-Usage': '1' },
      body: JSON.stringify({
        model: input.model,
        messages,
        max_tokens: input.maxTokens,
        temperature: 0,
        stream: true,
        stream_options: { include_usage: true },
      }),
      timeoutMs: input.timeoutMs,
    });
    const measurement = measure(where, result);
    measurements.push(measurement);
    hooks.onMeasurement?.(measurement);
    return measurement;
  };
  let warmup: WarmupState;
  try {
    const metrics = await client.request({ path: '/metrics', headers: auth, timeoutMs: input.timeoutMs });
    warmup = metrics.ok
      ? warmupState(metrics.status, metrics.body)
      : { state: 'unknown', reason: `/metrics: ${metrics.error}` };
    for (const size of input.sizes) {
      for (let repetition = 1; repetition <= input.repeat; repetition++) {
        const seed = size * 100 + repetition;
        const first = firstTurn(size, randomBytes(6).toString('hex'), seed);
        const one = await send({ size, repetition, turn: 1 }, first);
        if (!one.ok) continue;
        await send({ size, repetition, turn: 2 }, secondTurn(first, one.answer, seed));
      }
    }
  } finally {
    client.close();
    hooks.progress?.clear();
  }
  const summaries = summarise(measurements, input.sizes);
  return {
    kind: 'ran',
    tls,
    measurements,
    summaries,
    diagnoses: diagnose(summaries, input.model),
    warmup,
    exitCode: measurements.every((m) => m.ok) ? EXIT.ok : EXIT.failed,
  };
}
