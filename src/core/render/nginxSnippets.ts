/** Small pieces of nginx configuration the site repeats in every location (add_header is not inherited). */
import type { CorsOrigins } from '../settings/parsers.ts';

const ALLOW_HEADERS =
  'Authorization, Content-Type, Accept, X-Stainless-Arch, X-Stainless-Lang, X-Stainless-OS, X-Stainless-Package-Version, X-Stainless-Retry-Count, X-Stainless-Runtime, X-Stainless-Runtime-Version, X-Stainless-Timeout';

/** For an origin list: the request's Origin when allowed, else empty (nginx then omits the header). */
export function corsOriginMap(origins: CorsOrigins): string {
  if (origins === '*') return '';
  const lines = origins.map((origin) => `    "${origin}" $http_origin;`);
  return `
# Allowed browser origins (ONEAPP_COPILOT_API_CORS_ORIGINS).
map $http_origin $slm_cors_origin {
    default "";
${lines.join('\n')}
}
`;
}

export function corsHeaders(origins: CorsOrigins): string {
  const origin = origins === '*' ? '*' : '$slm_cors_origin';
  return [
    `add_header Access-Control-Allow-Origin "${origin}" always;`,
    'add_header Access-Control-Allow-Methods "GET, POST, OPTIONS" always;',
    `add_header Access-Control-Allow-Headers "${ALLOW_HEADERS}" always;`,
    'add_header Access-Control-Expose-Headers "Retry-After, X-Request-Id" always;',
    'add_header Access-Control-Max-Age 86400 always;',
    ...(origins === '*' ? [] : ['add_header Vary Origin always;']),
  ]
    .map((line) => `        ${line}`)
    .join('\n');
}

/**
 * The CORS headers an upstream may send. The gateway is their only source: LocalAI registers a CORS middleware
 * of its own (even with its CORS switch off) and llama.cpp's server echoes the request's Origin, so whatever the
 * relay passes on is hidden and nginx adds its own. A browser refuses an Access-Control-Allow-Origin with two
 * values.
 */
export const UPSTREAM_CORS_HEADERS = [
  'Access-Control-Allow-Origin',
  'Access-Control-Allow-Methods',
  'Access-Control-Allow-Headers',
  'Access-Control-Expose-Headers',
  'Access-Control-Max-Age',
  'Access-Control-Allow-Credentials',
] as const;

/** Server-level directives (inherited by every location, none of which sets its own) that drop them. */
export function hideUpstreamCors(): string {
  return UPSTREAM_CORS_HEADERS.map((name) => `    proxy_hide_header ${name};`).join('\n');
}

/** CORS preflight: answered before auth (the rewrite phase runs before the access phase). */
export const PREFLIGHT = 'if ($request_method = OPTIONS) { return 204; }';

/** An OpenAI-shaped JSON error body. */
export function jsonError(
  status: number,
  message: string,
  code: string,
  type = 'invalid_request_error',
): string {
  const body = JSON.stringify({ error: { message, type, code } }).replace(/'/g, "\\'");
  // An empty `types` block: the URI's extension (.html, .pem …) must not pick the Content-Type.
  return `types { }
        default_type application/json;
        return ${status} '${body}\\n';`;
}
