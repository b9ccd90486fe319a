/**
 * `slm-copilot relay --config FILE`: runs the relay from its JSON configuration until SIGTERM or SIGINT.
 * The CLI wiring calls runRelayFromConfigFile.
 */
import { readFileSync } from 'node:fs';
import type { RelayConfigFile } from '../../core/facts/relay.ts';
import { Failure } from '../../core/lib/failure.ts';
import { putVm, readOneGateLink } from '../onegate/client.ts';
import { relayOptionsFromFile } from './config.ts';
import { type RunningRelay, startRelay } from './server.ts';
import { startWorkerPublisher, type WorkerPublisher } from './workerPublisher.ts';

/** The relay's configuration file, read and parsed once. */
function readRelayConfigFile(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Failure('failed', `cannot read ${path}: ${(error as Error).message}`);
  }
}

function relayOptions(json: unknown) {
  return relayOptionsFromFile(json, (keyFile) => {
    try {
      return readFileSync(keyFile, 'utf8');
    } catch (error) {
      throw new Failure(
        'failed',
        `cannot read the upstream key file ${keyFile}: ${(error as NodeJS.ErrnoException).code}`,
      );
    }
  });
}

/**
 * Starts the relay and stops it cleanly on SIGTERM/SIGINT (systemd stop); a OneFlow worker's drains first. Resolves with the running relay;
 * `handleSignals: false` leaves signals alone (tests).
 */
export async function runRelayFromConfigFile(
  path: string,
  options: { readonly handleSignals?: boolean } = {},
): Promise<RunningRelay> {
  const json = readRelayConfigFile(path);
  const relay = await startRelay(relayOptions(json));
  const publisher = startPublisher((json as Partial<RelayConfigFile>).worker, relay);
  if (options.handleSignals ?? true) {
    const stop = (signal: NodeJS.Signals) => {
      relay.config.log(`relay: ${signal}, stopping`);
      void stopRelay(relay, publisher).then(() => process.exit(0));
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  }
  return relay;
}

/**
 * Stops the relay as systemd's stop does. A OneFlow worker's (it has a publisher) drains first: its streams finish
 * while the front retries new requests elsewhere, bounded by the unit's TimeoutStopSec; a single VM's relay stops
 * at once, as its clients have nowhere else to go.
 */
export async function stopRelay(relay: RunningRelay, publisher: WorkerPublisher | null): Promise<void> {
  publisher?.stop();
  if (publisher !== null) await relay.drain();
  await relay.close();
}

/** A OneFlow worker's relay tells OneGate when it is READY and how loaded it is (the file's `worker` part). */
function startPublisher(worker: RelayConfigFile['worker'], relay: RunningRelay): WorkerPublisher | null {
  if (worker === undefined) return null;
  const access = readOneGateLink(worker.oneGate);
  return startWorkerPublisher({
    put: (values) => putVm(access, values),
    state: relay.state,
    queue: relay.queue,
    periodMs: worker.publishPeriodMs,
    sampleMs: 1_000,
    retryMs: 10_000,
    log: relay.config.log,
    now: () => performance.now(),
  });
}
