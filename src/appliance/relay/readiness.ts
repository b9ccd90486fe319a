/**
 * The model's readiness as the relay owns it (the states: ReadinessState in src/core/facts/relay.ts). Pure
 * transitions; readinessMonitor.ts polls and warms up.
 */
import type { ReadinessState } from '../../core/facts/relay.ts';

export type ReadinessEvent =
  /** A probe or a request could not connect. */
  | { readonly type: 'unreachable' }
  /** /readyz answered: `ready` is false while LocalAI says it is still loading (503). */
  | { readonly type: 'reachable'; readonly ready: boolean }
  | { readonly type: 'warmup-succeeded' }
  | { readonly type: 'warmup-failed' };

export interface Transition {
  readonly state: ReadinessState;
  /** Send the warm-up request now (unless one is already running). */
  readonly warmUp: boolean;
}

export function nextReadiness(state: ReadinessState, event: ReadinessEvent): Transition {
  switch (event.type) {
    case 'unreachable':
      return { state: 'down', warmUp: false };
    case 'reachable':
      // A ready model server that says it is loading again has restarted between two probes.
      if (state === 'ready')
        return event.ready ? { state, warmUp: false } : { state: 'loading', warmUp: false };
      return { state: 'loading', warmUp: event.ready };
    case 'warmup-succeeded':
      return { state: state === 'down' ? 'down' : 'ready', warmUp: false };
    case 'warmup-failed':
      return { state, warmUp: false };
  }
}

/** HTTP status and body of GET /health. */
export function healthResponse(state: ReadinessState): { status: number; body: string } {
  return { status: state === 'ready' ? 200 : 503, body: JSON.stringify({ status: state }) };
}
