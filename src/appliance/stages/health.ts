/** Waits, bounded, for the relay's /health to say the model is ready. */
import { request } from 'node:http';
import { RELAY_ADDRESS } from '../../core/facts/layout.ts';

export type ModelState = 'ready' | 'loading' | 'down';

export function readHealth(url: string): Promise<ModelState> {
  return new Promise((resolve) => {
    const req = request(url, { timeout: 3000 }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on('end', () => {
        try {
          const status = (JSON.parse(body) as { status?: string }).status;
          resolve(status === 'ready' || status === 'loading' ? status : 'down');
        } catch {
          resolve('down');
        }
      });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve('down'));
    req.end();
  });
}

export async function waitForModel(
  seconds: number,
  log: (message: string) => void,
  url = `http://${RELAY_ADDRESS.host}:${RELAY_ADDRESS.port}/health`,
): Promise<ModelState> {
  const deadline = Date.now() + seconds * 1000;
  let state = await readHealth(url);
  let lastLogged = 0;
  while (state !== 'ready' && Date.now() < deadline) {
    if (Date.now() - lastLogged > 30_000) {
      log(`bootstrap: model ${state}; waiting up to ${Math.round((deadline - Date.now()) / 1000)} s more`);
      lastLogged = Date.now();
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
    state = await readHealth(url);
  }
  return state;
}
