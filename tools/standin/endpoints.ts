// TEST STAND-IN for LocalAI (mimics the v4.9.0 HTTP API). Not the product, never shipped or bundled; a tool under tools/ only.
// The small routes: model list, health probes, Prometheus metrics, and the admin routes (answered 200 on purpose).
import { type Exchange, sendEmpty, sendJson } from './exchange.ts';
import type { AdminRoute } from './routes.ts';

/** GET /v1/models and /models (core/http/endpoints/openai/list.go, schema.ModelsDataResponse). */
export function handleModels(x: Exchange): void {
  const data = x.behaviour.models.map((id) => ({ id, object: 'model' }));
  sendJson(x, { status: 200, body: { object: 'list', data } });
}

/** GET /healthz: 200, no body (core/http/routes/health.go). */
export function handleHealthz(x: Exchange): void {
  sendEmpty(x, 200);
}

/** GET /readyz: 200 no body; v4.8.0+ 503 while the startup preload runs (health.go, PR #10989). */
export function handleReadyz(x: Exchange): void {
  if (x.behaviour.ready) sendEmpty(x, 200);
  else sendJson(x, { status: 503, body: { reason: 'startup preload in progress', status: 'starting' } });
}

/** A stand-in answer for a route the gateway must never expose; the header makes exposure easy to detect. */
export function handleAdmin(x: Exchange, route: AdminRoute): void {
  sendJson(x, {
    status: 200,
    body: { standin: 'localai-admin-route', method: route.method, path: route.path, source: route.source },
    headers: { 'X-Standin-Route': 'admin' },
  });
}

/**
 * LocalAI's /metrics is promhttp over an OpenTelemetry Prometheus exporter with one histogram, `api_call`
 * (core/services/monitoring/metrics.go), labelled method and path (the route pattern). The exact exposition
 * (suffixes, otel_scope labels, target_info, go_* collectors) is approximated here, not copied.
 */
export class ApiCallMetrics {
  readonly #calls = new Map<string, { method: string; path: string; count: number; seconds: number }>();

  observe(method: string, path: string, seconds: number): void {
    if (path === '/metrics') return;
    const key = `${method} ${path}`;
    const entry = this.#calls.get(key) ?? { method, path, count: 0, seconds: 0 };
    entry.count += 1;
    entry.seconds += seconds;
    this.#calls.set(key, entry);
  }

  render(): string {
    const lines = ['# HELP api_call api calls', '# TYPE api_call histogram'];
    for (const { method, path, count, seconds } of this.#calls.values()) {
      const labels = `method="${method}",otel_scope_name="github.com/mudler/LocalAI",path="${path}"`;
      lines.push(`api_call_bucket{${labels},le="+Inf"} ${count}`);
      lines.push(`api_call_sum{${labels}} ${seconds}`);
      lines.push(`api_call_count{${labels}} ${count}`);
    }
    return `${lines.join('\n')}\n`;
  }
}

export function handleMetrics(x: Exchange, metrics: ApiCallMetrics): void {
  if (x.res.headersSent || x.res.destroyed) return;
  x.res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8; escaping=underscores' });
  x.record.status = 200;
  x.record.headersSentAt = Date.now();
  x.res.end(metrics.render());
}
