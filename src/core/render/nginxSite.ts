/**
 * The SLM-Copilot site: TLS, Bearer keys and Basic auth, CORS, the endpoint allow-list, JSON errors and
 * unbuffered streaming. Written for nginx 1.22–1.24 (`listen … ssl http2`, not 1.25's `http2 on`).
 */
import { KEY_NAME_HEADER } from '../facts/headers.ts';
import { LAYOUT } from '../facts/layout.ts';
import { REQUEST_BODY_LIMIT_MIB } from '../facts/model.ts';
import { type ServingTarget, under } from '../facts/target.ts';
import type { CorsOrigins } from '../settings/parsers.ts';
import { corsHeaders, corsOriginMap, hideUpstreamCors, jsonError, PREFLIGHT } from './nginxSnippets.ts';

export { KEY_NAME_HEADER };

export interface SiteInput {
  readonly target: ServingTarget;
  readonly corsOrigins: CorsOrigins;
  readonly timeoutSeconds: number;
  /**
   * Set when Let's Encrypt is configured: port 80 then serves the HTTP-01 webroot and redirects the rest to HTTPS.
   * Without it nothing listens on port 80 (the API is HTTPS only; one port fewer on the network).
   */
  readonly acmeDomain: string | null;
  readonly authRealm: string;
}

/** Idle keep-alive toward the relay; the relay keeps its side open longer, so nginx never reuses a closed one. */
export const UPSTREAM_KEEPALIVE_SECONDS = 60;

const NOT_FOUND = jsonError(
  404,
  'Not found. This endpoint serves /v1/chat/completions, /v1/completions and /v1/models.',
  'not_found',
);

export function renderNginxSite(input: SiteInput): string {
  const { target } = input;
  const at = (path: string) => under(target, path);
  const readTimeout = input.timeoutSeconds + 60;
  const cors = corsHeaders(input.corsOrigins);
  const api = (extra = '') => `        ${PREFLIGHT}
${cors}
        auth_basic $slm_auth_realm;
        auth_basic_user_file ${at(LAYOUT.nginxHtpasswd)};${extra}
        proxy_pass http://slm_upstream;`;
  return `# Written by slm-copilot from the plan; changes here are overwritten at the next boot.

# Bearer keys → key name ("" when none matched). The map file holds the keys: root-only, read at load.
map $http_authorization $slm_key_name {
    default "";
    include ${at(LAYOUT.nginxApiKeys)};
}

# A matched key switches Basic auth off; otherwise Basic auth decides.
map $slm_key_name $slm_auth_realm {
    default off;
    "" "${input.authRealm}";
}

# Who made the request, as the relay counts it: the key's name, or the Basic auth user. Never a secret.
map $slm_key_name $slm_principal {
    default $slm_key_name;
    "" "user:$remote_user";
}
${corsOriginMap(input.corsOrigins)}
log_format slm_copilot '$remote_addr $slm_principal [$time_local] "$request" $status $body_bytes_sent '
                       '$request_time $upstream_response_time';

upstream slm_upstream {
    server ${target.upstream.host}:${target.upstream.port};
    keepalive 16;
    keepalive_timeout ${UPSTREAM_KEEPALIVE_SECONDS}s;
}

${target.httpListen.length === 0 || input.acmeDomain === null ? '' : httpServer(input.target)}server {
${target.httpsListen.map((address) => `    listen ${address} ssl http2;`).join('\n')}
    server_name _;
    access_log ${at(LAYOUT.nginxLogDir)}/slm-copilot.access.log slm_copilot;

    ssl_certificate ${at(LAYOUT.tlsCertificate)};
    ssl_certificate_key ${at(LAYOUT.tlsKey)};
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305;
    ssl_prefer_server_ciphers off;
    ssl_session_cache shared:SLMCOPILOT:10m;
    ssl_session_timeout 1d;
    ssl_session_tickets off;

    client_max_body_size ${REQUEST_BODY_LIMIT_MIB}m;
    client_body_buffer_size 1m;

    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host $host;
    proxy_set_header X-Real-IP $remote_addr;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;
    # The client's credentials stop here; the key's name (always overwritten) is all the relay learns.
    proxy_set_header Authorization "";
    proxy_set_header Cookie "";
    proxy_set_header ${KEY_NAME_HEADER} $slm_principal;
    # CORS comes from here alone: the upstream's own CORS headers are dropped before ours are added.
${hideUpstreamCors()}
    # Stream tokens as they come: no buffering, no cache, long waits while a CPU prefill runs.
    proxy_buffering off;
    proxy_cache off;
    proxy_read_timeout ${readTimeout}s;
    proxy_send_timeout ${readTimeout}s;
    proxy_connect_timeout 5s;

    error_page 401 = @unauthorized;
    error_page 404 = @not_found;
    error_page 413 = @too_large;
    error_page 502 504 = @upstream_down;

    location = /v1/chat/completions {
${api()}
    }

    location = /v1/completions {
${api()}
    }

    location = /v1/models {
${api()}
    }

    # Usage metrics: an API key is required (Basic auth alone is not enough).
    location = /metrics {
${api(`
        if ($slm_key_name = "") {
            return 401;
        }`)}
    }

    location = /health {
${cors}
        proxy_pass http://slm_upstream/health;
    }

    location = /ca.pem {
${cors}
        types { }
        default_type application/x-pem-file;
        alias ${at(LAYOUT.tlsCaPublic)};
    }

    # The client tools (check, bench, cline), for laptops: public like /ca.pem; its sha256 is in the report.
    location = /slm-copilot.mjs {
${cors}
        types { }
        default_type text/javascript;
        alias ${at(LAYOUT.bundle)};
    }

    location / {
        ${PREFLIGHT}
${cors}
        ${NOT_FOUND}
    }

    location @unauthorized {
${cors}
        # auth_basic's own "Basic realm" challenge is kept; OpenAI clients use Bearer.
        add_header WWW-Authenticate 'Bearer realm="${input.authRealm}"' always;
        ${jsonError(401, 'A valid API key (Authorization: Bearer …) or Basic auth credentials are required.', 'invalid_api_key')}
    }

    location @not_found {
${cors}
        ${NOT_FOUND}
    }

    location @too_large {
${cors}
        ${jsonError(413, `The request body is larger than ${REQUEST_BODY_LIMIT_MIB} MiB.`, 'request_too_large')}
    }

    location @upstream_down {
${cors}
        add_header Retry-After 10 always;
        ${jsonError(503, 'The model server is not available right now (starting or restarting). Retry shortly.', 'service_unavailable', 'server_error')}
    }
}
`;
}

/** Port 80, with a domain only: the ACME HTTP-01 webroot, and a redirect to HTTPS for everything else. */
function httpServer(target: ServingTarget): string {
  const at = (path: string) => under(target, path);
  const redirectPort = target.httpsPort === 443 ? '' : `:${target.httpsPort}`;
  return `server {
${target.httpListen.map((address) => `    listen ${address};`).join('\n')}
    server_name _;
    access_log ${at(LAYOUT.nginxLogDir)}/slm-copilot.access.log slm_copilot;
    location ^~ /.well-known/acme-challenge/ {
        root ${at(LAYOUT.acmeWebroot)};
        default_type text/plain;
    }
    location / {
        return 301 https://$host${redirectPort}$request_uri;
    }
}

`;
}
