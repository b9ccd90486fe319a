/**
 * A OneFlow worker's site: the worker serves its front only. TLS with the worker's own certificate (the front pins
 * its CA, which `GET /ca.pem` serves); only the front's address is let in; every other request needs the service
 * secret, and only then is the key name the front sends passed to the relay (which counts usage under it). The
 * relay and LocalAI stay on loopback. Written for nginx 1.22–1.24.
 */
import { KEY_NAME_HEADER, SERVICE_SECRET_HEADER } from '../facts/headers.ts';
import { RELAY_ADDRESS } from '../facts/layout.ts';
import { REQUEST_BODY_LIMIT_MIB } from '../facts/model.ts';
import { WORKER_REFUSAL } from '../facts/oneflow.ts';
import { UPSTREAM_KEEPALIVE_SECONDS } from './nginxSite.ts';
import { jsonError } from './nginxSnippets.ts';

export interface WorkerSiteInput {
  /** The address and port the worker's nginx listens on. */
  readonly listen: { readonly host: string; readonly port: number };
  readonly frontAddress: string;
  /** ONEAPP_COPILOT_SERVICE_SECRET (the parser refuses blanks, quotes and backslashes). */
  readonly secret: string;
  readonly certificate: string;
  readonly key: string;
  /** The CA certificate file served at /ca.pem. */
  readonly caPublic: string;
  readonly timeoutSeconds: number;
  readonly relay?: { readonly host: string; readonly port: number };
}

/** nginx's variable for a request header: lower case, dashes as underscores. */
const headerVariable = (name: string) => `$http_${name.toLowerCase().replaceAll('-', '_')}`;

export function renderNginxWorkerSite(input: WorkerSiteInput): string {
  const relay = input.relay ?? RELAY_ADDRESS;
  const readTimeout = input.timeoutSeconds + 60;
  return `# Written by slm-copilot (OneFlow worker); changes here are overwritten at the next boot.

# The service secret → 1. The file holding it is root:www-data 0640.
map ${headerVariable(SERVICE_SECRET_HEADER)} $slm_from_front {
    default 0;
    "${input.secret}" 1;
}

upstream slm_worker_relay {
    server ${relay.host}:${relay.port};
    keepalive 16;
    keepalive_timeout ${UPSTREAM_KEEPALIVE_SECONDS}s;
}

server {
    listen ${input.listen.host}:${input.listen.port} ssl;
    ssl_certificate ${input.certificate};
    ssl_certificate_key ${input.key};
    ssl_protocols TLSv1.2 TLSv1.3;

    allow ${input.frontAddress};
    deny all;

    client_max_body_size ${REQUEST_BODY_LIMIT_MIB}m;
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host $host;
    proxy_set_header Authorization "";
    proxy_set_header ${SERVICE_SECRET_HEADER} "";
    proxy_set_header ${KEY_NAME_HEADER} ${headerVariable(KEY_NAME_HEADER)};
    proxy_request_buffering off;
    proxy_buffering off;
    proxy_cache off;
    proxy_read_timeout ${readTimeout}s;
    proxy_send_timeout ${readTimeout}s;
    proxy_connect_timeout 5s;

    location = /ca.pem {
        default_type application/x-pem-file;
        alias ${input.caPublic};
    }

    # Refused by address or by secret: one JSON answer.
    error_page 403 @forbidden;
    location @forbidden {
        allow all;
        ${jsonError(403, WORKER_REFUSAL.message, WORKER_REFUSAL.code)}
    }

    location / {
        if ($slm_from_front = 0) {
            return 403;
        }
        proxy_pass http://slm_worker_relay;
    }
}
`;
}
