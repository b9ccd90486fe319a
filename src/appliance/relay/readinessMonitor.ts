/**
 * Polls LocalAI's /readyz (llama-server's /health) and runs the one-token warm-up after every (re)start; holds the
 * readiness state that GET /health reports. A restart shows as unreachable → reachable, or as ready → /readyz 503
 * (loading again).
 */
import { request } from 'node:http';
import type { ReadinessState } from '../../core/facts/relay.ts';
import type { ReadinessOptions } from './config.ts';
import { nextReadiness, type ReadinessEvent } from './readiness.ts';

export type ProbeResult = 'unreachable' | 'loading' | 'ready' | 'unknown';

/**
 * GET {base}/readyz without a pooled connection: 200 is ready, 503 loading. An upstream without /readyz (404) is
 * asked GET {base}/health instead — llama.cpp's llama-server, which the sandbox may front, answers 503 there while
 * the model loads and 200 once it serves; any other answer there counts as ready.
 */
export async function probeReadyz(baseUrl: string, timeoutMs: number): Promise<ProbeResult> {
  const readyz = await probe(baseUrl, '/readyz', timeoutMs);
  if (readyz !== 404) return classify(readyz);
  const health = await probe(baseUrl, '/health', timeoutMs);
  return health === 503 ? 'loading' : classify(health === 404 ? 200 : health);
}

function classify(status: number | 'unreachable' | 'unknown'): ProbeResult {
  if (typeof status === 'string') return status;
  return status === 200 || status === 404 ? 'ready' : 'loading';
}

function probe(
  baseUrl: string,
  path: string,
  timeoutMs: number,
): Promise<number | 'unreachable' | 'unknown'> {
  return new Promise((resolve) => {
    const req = request(
      new URL(path, baseUrl),
      { method: 'GET', agent: false, timeout: timeoutMs },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('timeout', () => {
      // Slow, not refusing: no change (a busy LocalAI still answers, so this is rare).
      req.destroy();
      resolve('unknown');
    });
    req.on('error', () => resolve('unreachable'));
    req.end();
  });
}

export interface ReadinessDeps {
  readonly options: ReadinessOptions;
  readonly probe: () => Promise<ProbeResult>;
  /** Sends the one-token warm-up completion (through the queue); true when LocalAI answered 2xx. */
  readonly warmUp: () => Promise<boolean>;
  readonly log: (line: string) => void;
}

/** After a failed warm-up, the next one waits this many poll intervals more each time, up to the cap. */
const MAX_BACKOFF_POLLS = 15;

export class ReadinessMonitor {
  private current: ReadinessState = 'down';
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private warming = false;
  /** Bumped whenever LocalAI is seen unreachable: a warm-up from before that tells nothing. */
  private epoch = 0;
  private failedWarmups = 0;
  private skipPolls = 0;

  constructor(private readonly deps: ReadinessDeps) {}

  get state(): ReadinessState {
    return this.current;
  }

  start(): void {
    void this.poll();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
  }

  /** Apply an event (also from the outside: a completion that could not connect). */
  report(event: ReadinessEvent): void {
    const before = this.current;
    if (event.type === 'unreachable') this.epoch += 1;
    const transition = nextReadiness(before, event);
    this.current = transition.state;
    if (before !== transition.state) {
      this.deps.log(`relay: model server ${before} → ${transition.state}`);
      if (transition.state === 'down') this.failedWarmups = this.skipPolls = 0;
    }
    if (transition.warmUp) this.maybeWarmUp();
  }

  private async poll(): Promise<void> {
    if (this.stopped) return;
    const result = await this.deps.probe();
    if (this.stopped) return;
    if (result === 'unreachable') this.report({ type: 'unreachable' });
    else if (result !== 'unknown') this.report({ type: 'reachable', ready: result === 'ready' });
    this.timer = setTimeout(() => void this.poll(), this.deps.options.pollIntervalMs);
  }

  private maybeWarmUp(): void {
    if (this.warming || this.stopped) return;
    if (this.skipPolls > 0) {
      this.skipPolls -= 1;
      return;
    }
    this.warming = true;
    const epoch = this.epoch;
    this.deps.log('relay: warming the model up (one token)');
    this.deps
      .warmUp()
      .catch(() => false)
      .then((ok) => {
        this.warming = false;
        if (this.stopped || epoch !== this.epoch) return;
        if (ok) {
          this.failedWarmups = 0;
          this.report({ type: 'warmup-succeeded' });
        } else {
          this.failedWarmups += 1;
          this.skipPolls = Math.min(MAX_BACKOFF_POLLS, 2 ** this.failedWarmups - 1);
          this.deps.log(`relay: warm-up failed (${this.failedWarmups} in a row); retrying later`);
          this.report({ type: 'warmup-failed' });
        }
      });
  }
}
