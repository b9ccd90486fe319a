/**
 * LocalAI routes an SLM-Copilot gateway must never expose: the web UI, model/backend/system administration,
 * self-description, and inference APIs the appliance does not offer. Paths as LocalAI v4.9.0 registers them
 * (mudler/LocalAI tag v4.9.0, commit f7ad3f70e; the file and line are given for each). `check` probes each with
 * GET only — a POST route answering 405 to a GET is reachable all the same, and no probe can change anything.
 */

export interface LocalaiRoute {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  /** Where LocalAI v4.9.0 registers it. */
  readonly source: string;
}

const r = (method: LocalaiRoute['method'], path: string, source: string): LocalaiRoute => ({
  method,
  path,
  source,
});

export const LOCALAI_ADMIN_ROUTES: readonly LocalaiRoute[] = [
  r('GET', '/', 'core/http/app.go:661'),
  r('GET', '/app', 'core/http/app.go:647'),
  r('GET', '/browse', 'core/http/app.go:666'),
  r('GET', '/swagger/index.html', 'core/http/routes/localai.go:40'),
  r('GET', '/.well-known/localai.json', 'core/http/routes/localai.go:289'),
  r('GET', '/api/instructions', 'core/http/routes/localai.go:422'),
  r('GET', '/api/auth/status', 'core/http/routes/auth.go:130'),
  r('GET', '/version', 'core/http/routes/localai.go:282'),
  r('GET', '/api/features', 'core/http/routes/localai.go:425'),
  r('POST', '/models/apply', 'core/http/routes/localai.go:59'),
  r('GET', '/models/available', 'core/http/routes/localai.go:62'),
  r('GET', '/models/galleries', 'core/http/routes/localai.go:63'),
  r('GET', '/models/jobs', 'core/http/routes/localai.go:65'),
  r('POST', '/models/import', 'core/http/routes/localai.go:83'),
  r('POST', '/models/reload', 'core/http/routes/localai.go:103'),
  r('POST', '/backends/apply', 'core/http/routes/localai.go:72'),
  r('GET', '/backends', 'core/http/routes/localai.go:74'),
  r('GET', '/backends/available', 'core/http/routes/localai.go:75'),
  r('GET', '/backend/monitor', 'core/http/routes/localai.go:245'),
  r('POST', '/backend/shutdown', 'core/http/routes/localai.go:246'),
  r('POST', '/backend/load', 'core/http/routes/localai.go:250'),
  r('GET', '/v1/backend/monitor', 'core/http/routes/localai.go:252'),
  r('GET', '/system', 'core/http/routes/localai.go:436'),
  r('GET', '/api/traces', 'core/http/routes/localai.go:257'),
  r('GET', '/api/backend-logs', 'core/http/routes/localai.go:267'),
  r('GET', '/api/p2p', 'core/http/routes/localai.go:274'),
  r('POST', '/stores/set', 'core/http/routes/localai.go:216'),
  r('GET', '/api/settings', 'core/http/routes/ui_api.go:1832'),
  r('GET', '/api/models', 'core/http/routes/ui_api.go:414'),
  r('GET', '/api/backends', 'core/http/routes/ui_api.go:1214'),
  r('GET', '/api/resources', 'core/http/routes/ui_api.go:1804'),
  r('GET', '/api/operations', 'core/http/routes/ui_api.go:126'),
  r('GET', '/v1/models/capabilities', 'core/http/routes/openai.go:280'),
  r('POST', '/v1/engines/devstral-small-2/completions', 'core/http/routes/openai.go:139'),
  r('POST', '/v1/embeddings', 'core/http/routes/openai.go:174'),
  r('POST', '/v1/audio/speech', 'core/http/routes/openai.go:239'),
  r('POST', '/v1/images/generations', 'core/http/routes/openai.go:260'),
  r('POST', '/v1/tokenize', 'core/http/routes/localai.go:440'),
  r('POST', '/tts', 'core/http/routes/localai.go:181'),
  r('POST', '/v1/messages', 'core/http/routes/anthropic.go:65'),
  r('POST', '/v1/responses', 'core/http/routes/openresponses.go:56'),
  r('POST', '/api/chat', 'core/http/routes/ollama.go:42'),
  r('GET', '/api/tags', 'core/http/routes/ollama.go:80'),
];
