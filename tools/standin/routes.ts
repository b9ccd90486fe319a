// TEST STAND-IN for LocalAI (mimics the v4.9.0 HTTP API). Not the product, never shipped or bundled; a tool under tools/ only.
// Route facts from LocalAI v4.9.0 (tag v4.9.0, commit f7ad3f70e): the admin / UI / other-API routes the gateway
// must never expose, and the routes LocalAI's auth middleware lets through without a key.

export interface AdminRoute {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  /** ui: web UI pages; admin: model/backend/system management; discovery: self-description; other-api: inference
   * APIs the appliance does not offer (Ollama, Anthropic, embeddings, …). */
  readonly group: 'ui' | 'admin' | 'discovery' | 'other-api';
  /** Where LocalAI v4.9.0 registers it (file:line). */
  readonly source: string;
  /** Reachable WITHOUT a key even when LOCALAI_API_KEY is set (core/http/auth/public_routes.go). */
  readonly public: boolean;
}

const route = (
  method: AdminRoute['method'],
  path: string,
  group: AdminRoute['group'],
  source: string,
  isPublic = false,
): AdminRoute => ({ method, path, group, source, public: isPublic });

/**
 * Real LocalAI routes that must never be reachable through the gateway. The stand-in answers each with 200 and the
 * header `X-Standin-Route: admin` so a gateway test can tell exposure from a gateway-made 404/403.
 * (The real `/` redirects to `/app` with 301; the UI routes exist only without LOCALAI_DISABLE_WEBUI.)
 */
export const LOCALAI_ADMIN_ROUTES: readonly AdminRoute[] = [
  route('GET', '/', 'ui', 'core/http/app.go:661', true),
  route('GET', '/app', 'ui', 'core/http/app.go:647', true),
  route('GET', '/browse', 'ui', 'core/http/app.go:666', true),
  route('GET', '/swagger/index.html', 'discovery', 'core/http/routes/localai.go:40', true),
  route('GET', '/.well-known/localai.json', 'discovery', 'core/http/routes/localai.go:289', true),
  route('GET', '/api/instructions', 'discovery', 'core/http/routes/localai.go:422', true),
  route('GET', '/api/auth/status', 'discovery', 'core/http/routes/auth.go:130', true),
  route('GET', '/version', 'discovery', 'core/http/routes/localai.go:282'),
  route('GET', '/api/features', 'discovery', 'core/http/routes/localai.go:425'),
  route('POST', '/models/apply', 'admin', 'core/http/routes/localai.go:59'),
  route('GET', '/models/available', 'admin', 'core/http/routes/localai.go:62'),
  route('GET', '/models/galleries', 'admin', 'core/http/routes/localai.go:63'),
  route('GET', '/models/jobs', 'admin', 'core/http/routes/localai.go:65'),
  route('POST', '/models/import', 'admin', 'core/http/routes/localai.go:83'),
  route('POST', '/models/reload', 'admin', 'core/http/routes/localai.go:103'),
  route('POST', '/backends/apply', 'admin', 'core/http/routes/localai.go:72'),
  route('GET', '/backends', 'admin', 'core/http/routes/localai.go:74'),
  route('GET', '/backends/available', 'admin', 'core/http/routes/localai.go:75'),
  route('GET', '/backend/monitor', 'admin', 'core/http/routes/localai.go:245'),
  route('POST', '/backend/shutdown', 'admin', 'core/http/routes/localai.go:246'),
  route('POST', '/backend/load', 'admin', 'core/http/routes/localai.go:250'),
  route('GET', '/v1/backend/monitor', 'admin', 'core/http/routes/localai.go:252'),
  route('GET', '/system', 'admin', 'core/http/routes/localai.go:436'),
  route('GET', '/api/traces', 'admin', 'core/http/routes/localai.go:257'),
  route('GET', '/api/backend-logs', 'admin', 'core/http/routes/localai.go:267'),
  route('GET', '/api/p2p', 'admin', 'core/http/routes/localai.go:274'),
  route('POST', '/stores/set', 'admin', 'core/http/routes/localai.go:216'),
  route('GET', '/api/settings', 'admin', 'core/http/routes/ui_api.go:1832'),
  route('POST', '/api/settings', 'admin', 'core/http/routes/ui_api.go:1833'),
  route('GET', '/api/models', 'admin', 'core/http/routes/ui_api.go:414'),
  route('GET', '/api/backends', 'admin', 'core/http/routes/ui_api.go:1214'),
  route('GET', '/api/resources', 'admin', 'core/http/routes/ui_api.go:1804'),
  route('GET', '/api/operations', 'admin', 'core/http/routes/ui_api.go:126'),
  route('GET', '/v1/models/capabilities', 'other-api', 'core/http/routes/openai.go:280'),
  route('POST', '/v1/engines/devstral-small-2/completions', 'other-api', 'core/http/routes/openai.go:139'),
  route('POST', '/v1/embeddings', 'other-api', 'core/http/routes/openai.go:174'),
  route('POST', '/v1/audio/speech', 'other-api', 'core/http/routes/openai.go:239'),
  route('POST', '/v1/images/generations', 'other-api', 'core/http/routes/openai.go:260'),
  route('POST', '/v1/tokenize', 'other-api', 'core/http/routes/localai.go:440'),
  route('POST', '/tts', 'other-api', 'core/http/routes/localai.go:181'),
  route('POST', '/v1/messages', 'other-api', 'core/http/routes/anthropic.go:65'),
  route('POST', '/v1/responses', 'other-api', 'core/http/routes/openresponses.go:56'),
  route('POST', '/api/chat', 'other-api', 'core/http/routes/ollama.go:42'),
  route('GET', '/api/tags', 'other-api', 'core/http/routes/ollama.go:80'),
];

/** core/http/auth/public_routes.go publicRouteRegistry (v4.9.0): method, path, prefix match. */
const PUBLIC_ROUTES: readonly { method: string; path: string; prefix?: true }[] = [
  { method: 'GET', path: '/api/instructions' },
  { method: 'GET', path: '/api/instructions/', prefix: true },
  { method: 'GET', path: '/swagger' },
  { method: 'GET', path: '/swagger/', prefix: true },
  { method: 'GET', path: '/.well-known/localai.json' },
  { method: 'GET', path: '/healthz' },
  { method: 'GET', path: '/readyz' },
  { method: 'GET', path: '/api/auth/status' },
  { method: 'POST', path: '/api/auth/token-login' },
  { method: 'POST', path: '/api/auth/register' },
  { method: 'POST', path: '/api/auth/login' },
  { method: 'OPTIONS', path: '/api/auth/', prefix: true },
  { method: 'GET', path: '/' },
  { method: 'HEAD', path: '/' },
  { method: 'GET', path: '/app' },
  { method: 'GET', path: '/app/', prefix: true },
  { method: 'GET', path: '/browse' },
  { method: 'GET', path: '/browse/', prefix: true },
  { method: 'GET', path: '/login' },
  { method: 'GET', path: '/explorer' },
  { method: 'GET', path: '/favicon.svg' },
  { method: 'GET', path: '/assets/', prefix: true },
  { method: 'GET', path: '/locales/', prefix: true },
  { method: 'GET', path: '/static/', prefix: true },
  { method: 'GET', path: '/api/branding' },
];

/** Whether LocalAI lets this request through without a key (health probes, UI shell, discovery). */
export function isPublicRoute(method: string, path: string): boolean {
  return PUBLIC_ROUTES.some(
    (r) => r.method === method && (r.path === path || (r.prefix === true && path.startsWith(r.path))),
  );
}

export function findAdminRoute(method: string, path: string): AdminRoute | undefined {
  return LOCALAI_ADMIN_ROUTES.find((r) => r.method === method && r.path === path);
}

/** Whether some admin route has this path under another method (→ 405 like Echo). */
export function adminPathExists(path: string): boolean {
  return LOCALAI_ADMIN_ROUTES.some((r) => r.path === path);
}
