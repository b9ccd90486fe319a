/** The one reader of the relay's GET /health: its answer as it came, and the readiness it states. */
import { request } from 'node:http';
import { RELAY_ADDRESS } from '../../core/facts/layout.ts';
import type { ReadinessState } from '../../core/facts/relay.ts';

/** What /health answered (any status: the relay answers 503 while not ready), or why nothing came. */
export type RelayHealth = { readonly status: number; readonly body: string } | { readonly error: string };

export const RELAY_HEALTH_URL = `http://${RELAY_ADDRESS.host}:${RELAY_ADDRESS.port}/health`;

/** GET /health; the error is the system's code (ECONNREFUSED, …) or TIMEOUT when no answer came in time. */
export function readRelayHealth(url: string, timeoutMs: number): Promise<RelayHealth> {
  return new Promise((resolve) => {
    // One connection per read (no pooled socket): each answer is about the relay as it is now.
    const req = request(url, { timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () =>
      req.destroy(Object.assign(new Error(`no answer in ${timeoutMs / 1000} s`), { code: 'TIMEOUT' })),
    );
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    req.end();
  });
}

/** The JSON body of an answer (null: no answer, or not a JSON object). */
function bodyOf(health: RelayHealth): Record<string, unknown> | null {
  if ('error' in health) return null;
  try {
    const body: unknown = JSON.parse(health.body);
    return typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The readiness an answer states: its JSON body's "status"; down when there was no answer or no such status. */
export function readinessOf(health: RelayHealth): ReadinessState {
  const status = bodyOf(health)?.status;
  return status === 'ready' || status === 'loading' ? status : 'down';
}

/** The workers a OneFlow front's router reports in the same answer (null: none stated, or no answer). */
export function workersOf(health: RelayHealth | null): number | null {
  const workers = health === null ? undefined : bodyOf(health)?.workers;
  return typeof workers === 'number' ? workers : null;
}
