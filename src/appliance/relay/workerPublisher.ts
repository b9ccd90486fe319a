/**
 * What a OneFlow worker tells OneGate: READY=YES once its relay first reports the model ready (retried until
 * OneGate takes it: OneFlow's ready_status_gate waits for it, with no timeout), then, once per period, its queue
 * depth and busy share (the attributes the elasticity rules read). Never more often than the period.
 */
import { READY_ATTRIBUTE, WORKER_METRICS } from '../../core/facts/oneflow.ts';
import type { ReadinessState } from '../../core/facts/relay.ts';

/** The relay's log lines about READY=YES (doctor greps the relay's journal for `mark`). */
const READY_MARK = 'OneGate READY=YES';
export const READY_LOG = {
  mark: READY_MARK,
  published: `relay: ${READY_MARK} published`,
  refused: `relay: ${READY_MARK} not published`,
} as const;

export interface WorkerPublisherOptions {
  /** OneGate `PUT /vm`. */
  readonly put: (values: Readonly<Record<string, string>>) => Promise<void>;
  readonly state: () => ReadinessState;
  /** The relay queue now: waiting, and in flight. */
  readonly queue: () => { readonly waiting: number; readonly active: number };
  readonly periodMs: number;
  /** How often readiness and the in-flight state are sampled. */
  readonly sampleMs: number;
  /** Between READY attempts that OneGate refused. */
  readonly retryMs: number;
  readonly log: (line: string) => void;
  readonly now: () => number;
}

export interface WorkerPublisher {
  stop(): void;
}

export function startWorkerPublisher(options: WorkerPublisherOptions): WorkerPublisher {
  let readyPublished = false;
  let nextReadyAttempt = 0;
  let samples = 0;
  let busySamples = 0;
  let lastPublished = options.now();
  let sending = false;

  const tick = () => {
    samples += 1;
    if (options.queue().active > 0) busySamples += 1;
    const now = options.now();
    if (sending) return;
    if (!readyPublished && options.state() === 'ready' && now >= nextReadyAttempt) {
      sending = true;
      options
        .put({ [READY_ATTRIBUTE.name]: READY_ATTRIBUTE.value })
        .then(() => {
          readyPublished = true;
          options.log(READY_LOG.published);
        })
        .catch((error: Error) => {
          nextReadyAttempt = options.now() + options.retryMs;
          options.log(`${READY_LOG.refused} (${error.message}); retrying`);
        })
        .finally(() => {
          sending = false;
        });
      return;
    }
    if (now - lastPublished >= options.periodMs) {
      const busy = samples === 0 ? 0 : Math.round((100 * busySamples) / samples);
      const values = {
        [WORKER_METRICS.queue]: String(options.queue().waiting),
        [WORKER_METRICS.busy]: String(busy),
      };
      lastPublished = now;
      samples = 0;
      busySamples = 0;
      sending = true;
      options
        .put(values)
        .catch((error: Error) => options.log(`relay: OneGate metrics not published (${error.message})`))
        .finally(() => {
          sending = false;
        });
    }
  };
  const timer = setInterval(tick, options.sampleMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
