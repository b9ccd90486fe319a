/** What the relay serves. Everything else is 404: LocalAI's other routes are not the relay's to expose. Pure. */
import type { CompletionRoute } from './normalise.ts';

export type Route =
  | { readonly kind: 'health' }
  | { readonly kind: 'metrics' }
  | { readonly kind: 'completion'; readonly route: CompletionRoute }
  | { readonly kind: 'models' }
  | { readonly kind: 'method-not-allowed'; readonly allow: string }
  | { readonly kind: 'not-found' };

const TABLE: Record<string, { readonly method: string; readonly route: Route }> = {
  '/health': { method: 'GET', route: { kind: 'health' } },
  '/metrics': { method: 'GET', route: { kind: 'metrics' } },
  '/v1/chat/completions': { method: 'POST', route: { kind: 'completion', route: 'chat' } },
  '/chat/completions': { method: 'POST', route: { kind: 'completion', route: 'chat' } },
  '/v1/completions': { method: 'POST', route: { kind: 'completion', route: 'completions' } },
  '/completions': { method: 'POST', route: { kind: 'completion', route: 'completions' } },
  '/v1/models': { method: 'GET', route: { kind: 'models' } },
  '/models': { method: 'GET', route: { kind: 'models' } },
};

export function routeOf(method: string, url: string): Route {
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  const entry = Object.hasOwn(TABLE, path) ? TABLE[path] : undefined;
  if (entry === undefined) return { kind: 'not-found' };
  if (method === entry.method || (entry.method === 'GET' && method === 'HEAD')) return entry.route;
  return { kind: 'method-not-allowed', allow: entry.method === 'GET' ? 'GET, HEAD' : entry.method };
}
