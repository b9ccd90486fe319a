/**
 * Whether the appliance re-warms prompt prefixes after a model start, read from the relay's /metrics (an API key
 * is required there): on with how many prefixes it keeps and holds now, off, or unknown with the reason. Pure.
 */
import { WARMUP_LIMIT_METRIC, WARMUP_PREFIX_TOKENS_METRIC } from '../../core/facts/relay.ts';

export type WarmupState =
  | { readonly state: 'on'; readonly limit: number; readonly stored: number }
  | { readonly state: 'off' }
  | { readonly state: 'unknown'; readonly reason: string };

/** From the /metrics answer: its status and text. */
export function warmupState(status: number, text: string): WarmupState {
  if (status === 401 || status === 403)
    return {
      state: 'unknown',
      reason: `/metrics answered ${status}: it needs an API key (--key), not Basic auth`,
    };
  if (status !== 200) return { state: 'unknown', reason: `/metrics answered ${status}` };
  const limit = new RegExp(`^${WARMUP_LIMIT_METRIC} (\\d+)$`, 'm').exec(text);
  if (limit === null)
    return { state: 'unknown', reason: `/metrics has no ${WARMUP_LIMIT_METRIC} (an older appliance)` };
  const count = Number(limit[1]);
  if (count === 0) return { state: 'off' };
  const stored = text.split('\n').filter((line) => line.startsWith(`${WARMUP_PREFIX_TOKENS_METRIC}{`)).length;
  return { state: 'on', limit: count, stored };
}

/** One line for the bench report. */
export function warmupLine(warmup: WarmupState): string {
  switch (warmup.state) {
    case 'on':
      return `Warm-up: on, keeps up to ${warmup.limit} prompt prefixes (${warmup.stored} stored): after a model start, returning agents' first requests prefill only what is new`;
    case 'off':
      return 'Warm-up: off (ONEAPP_COPILOT_API_WARMUP=0): after a model start every first request prefills its whole prompt';
    case 'unknown':
      return `Warm-up: unknown (${warmup.reason})`;
  }
}
