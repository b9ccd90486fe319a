/** Waits, bounded, for the relay's /health to say the model is ready. */
import type { ReadinessState } from '../../core/facts/relay.ts';
import { RELAY_HEALTH_URL, readinessOf, readRelayHealth } from '../host/relayHealth.ts';

const readiness = async (url: string) => readinessOf(await readRelayHealth(url, 3000));

export async function waitForModel(
  seconds: number,
  log: (message: string) => void,
  url = RELAY_HEALTH_URL,
): Promise<ReadinessState> {
  const deadline = Date.now() + seconds * 1000;
  let state = await readiness(url);
  let lastLogged = 0;
  while (state !== 'ready' && Date.now() < deadline) {
    if (Date.now() - lastLogged > 30_000) {
      log(`bootstrap: model ${state}; waiting up to ${Math.round((deadline - Date.now()) / 1000)} s more`);
      lastLogged = Date.now();
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
    state = await readiness(url);
  }
  return state;
}
