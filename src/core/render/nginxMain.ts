/** nginx.conf: process-level settings and the http block that includes the SLM-Copilot site. */
import { LAYOUT } from '../facts/layout.ts';
import { type ServingTarget, under } from '../facts/target.ts';

export function renderNginxMain(target: ServingTarget): string {
  const at = (path: string) => under(target, path);
  const temp = (name: string) => `${at(LAYOUT.nginxTempDir)}/${name}`;
  return `# Written by slm-copilot from the plan; changes here are overwritten at the next boot.
${target.nginxUser === null ? '' : `user ${target.nginxUser};\n`}worker_processes auto;
pid ${at(LAYOUT.nginxPidFile)};
error_log ${at(LAYOUT.nginxLogDir)}/error.log warn;
${target.daemon ? '' : 'daemon off;\n'}${target.systemModules ? 'include /etc/nginx/modules-enabled/*.conf;\n' : ''}
events {
    worker_connections 1024;
}

http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    server_tokens off;
    # The key map's entries are "Bearer <key>" (keys up to 128 characters).
    map_hash_bucket_size 256;
    # Server-sent events must never be compressed or buffered; nothing else here is worth compressing.
    gzip off;
    client_body_temp_path ${temp('body')};
    proxy_temp_path ${temp('proxy')};
    fastcgi_temp_path ${temp('fastcgi')};
    uwsgi_temp_path ${temp('uwsgi')};
    scgi_temp_path ${temp('scgi')};

    include ${at(LAYOUT.nginxSite)};
}
`;
}
