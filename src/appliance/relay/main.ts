/**
 * `slm-copilot relay --config FILE`: runs the relay from its JSON configuration until SIGTERM or SIGINT.
 * The CLI wiring calls runRelayFromConfigFile.
 */
import { readFileSync } from 'node:fs';
import { Failure } from '../../core/lib/failure.ts';
import { relayOptionsFromFile } from './config.ts';
import { type RunningRelay, startRelay } from './server.ts';

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
 * Starts the relay and stops it cleanly on SIGTERM/SIGINT (systemd stop). Resolves with the running relay;
 * `handleSignals: false` leaves signals alone (tests).
 */
export async function runRelayFromConfigFile(
  path: string,
  options: { readonly handleSignals?: boolean } = {},
): Promise<RunningRelay> {
  const relay = await startRelay(loadRelayOptions(path));
  if (options.handleSignals ?? true) {
    const stop = (signal: NodeJS.Signals) => {
      relay.config.log(`relay: ${signal}, stopping`);
      void relay.close().then(() => process.exit(0));
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  }
  return relay;
}
