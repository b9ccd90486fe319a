/**
 * `slm-copilot relay --config FILE`: runs the relay from its JSON configuration until SIGTERM or SIGINT.
 * The CLI wiring calls runRelayFromConfigFile.
 */
import { readFileSync } from 'node:fs';
import type { RelayConfigFile } from '../../core/facts/relay.ts';
import { Failure } from '../../core/lib/failure.ts';
import { putVm } from '../onegate/client.ts';
import { relayOptionsFromFile } from './config.ts';
import { type RunningRelay, startRelay } from './server.ts';
import { startWorkerPublisher, type WorkerPublisher } from './workerPublisher.ts';

export function loadRelayOptions(path: string) {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Failure('failed', `cannot read ${path}: ${(error as Error).message}`);
  }
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
  const relay = await startRelay(loadRelayOptions(path));
  const publisher = startPublisher(path, relay);
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
function startPublisher(path: string, relay: RunningRelay): WorkerPublisher | null {
  const worker = (JSON.parse(readFileSync(path, 'utf8')) as RelayConfigFile).worker;
  if (worker === undefined) return null;
  let token: string;
  try {
    token = readFileSync(worker.oneGate.tokenFile, 'utf8').trim();
  } catch (error) {
    throw new Failure(
      'failed',
      `cannot read the OneGate token ${worker.oneGate.tokenFile}: ${(error as NodeJS.ErrnoException).code}`,
    );
  }
  const access = { endpoint: worker.oneGate.endpoint, vmId: worker.oneGate.vmId, token };
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
