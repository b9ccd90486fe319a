/** Where things live on the appliance. */
import { UNITS, unitPath } from './units.ts';

export const LAYOUT = {
  localaiBinary: '/usr/local/bin/local-ai',
  localaiHome: '/var/lib/local-ai',
  localaiModels: '/var/lib/local-ai/models',
  localaiBackends: '/var/lib/local-ai/backends',
  localaiConfigDir: '/var/lib/local-ai/configuration',
  localaiDataDir: '/var/lib/local-ai/data',
  localaiGenerated: '/var/lib/local-ai/generated',
  localaiUploads: '/var/lib/local-ai/uploads',
  localaiEnvFile: '/etc/slm-copilot/local-ai.env',
  /** LocalAI's internal API key, read by the relay. */
  localaiKeyFile: '/etc/slm-copilot/local-ai.key',
  localaiUnit: unitPath(UNITS.localai),
  programDir: '/opt/slm-copilot',
  /** The bundled program, also served at GET /slm-copilot.mjs. */
  bundle: '/opt/slm-copilot/slm-copilot.mjs',
  launcher: '/usr/local/bin/slm-copilot',
  configDir: '/etc/slm-copilot',
  stateDir: '/var/lib/slm-copilot',
  logDir: '/var/log/one-appliance',
  report: '/etc/one-appliance/config',
  nginxMainConfig: '/etc/nginx/nginx.conf',
  nginxSite: '/etc/slm-copilot/nginx/slm-copilot.conf',
  nginxApiKeys: '/etc/slm-copilot/nginx/api-keys.map',
  nginxHtpasswd: '/etc/slm-copilot/nginx/htpasswd',
  nginxLogDir: '/var/log/nginx',
  /** Where Ubuntu's nginx.service expects it (PIDFile=/run/nginx.pid). */
  nginxPidFile: '/run/nginx.pid',
  nginxTempDir: '/var/lib/nginx',
  acmeWebroot: '/var/lib/slm-copilot/acme',
  tlsCertificate: '/var/lib/slm-copilot/tls/server.pem',
  tlsKey: '/var/lib/slm-copilot/tls/server.key',
  /** What GET /ca.pem serves. */
  tlsCaPublic: '/var/lib/slm-copilot/tls/ca-public.pem',
} as const;

/** one-context writes every context variable here (0400 root), besides exporting them to the hook. */
export const ONE_ENV = '/var/run/one-context/one_env';

export const LOCALAI_ADDRESS = { host: '127.0.0.1', port: 8080 } as const;
export const RELAY_ADDRESS = { host: '127.0.0.1', port: 8081 } as const;

export interface ManagedDirectory {
  readonly path: string;
  readonly mode: number;
  readonly owner: string;
  readonly group: string;
}

/**
 * Directories with explicit modes (the one-apps driver's umask is 0077). The state directory is traversable
 * (0711) but not listable: nginx's workers must reach the ACME webroot and the public CA file inside it.
 */
export const DIRECTORIES: readonly ManagedDirectory[] = [
  { path: '/etc/slm-copilot', mode: 0o755, owner: 'root', group: 'root' },
  { path: '/etc/slm-copilot/nginx', mode: 0o750, owner: 'root', group: 'www-data' },
  { path: '/var/lib/slm-copilot', mode: 0o711, owner: 'root', group: 'root' },
  { path: '/var/lib/slm-copilot/acme', mode: 0o755, owner: 'root', group: 'root' },
  { path: '/var/log/nginx', mode: 0o755, owner: 'root', group: 'adm' },
  { path: '/var/lib/nginx', mode: 0o755, owner: 'root', group: 'root' },
  { path: '/run', mode: 0o755, owner: 'root', group: 'root' },
];

/** System users the services run as (created at install). */
export const USERS = { localai: 'local-ai', nginx: 'www-data', relay: 'slm-copilot' } as const;

/**
 * The TLS files relative to the state directory (src/appliance/tls/applianceTls.ts writes them there; LAYOUT.tlsCertificate,
 * tlsKey and tlsCaPublic are the served ones under LAYOUT.stateDir).
 */
export const TLS_FILES = {
  dir: 'tls',
  caKey: 'tls/ca.key',
  caCertificate: 'tls/ca.pem',
  certificate: 'tls/server.pem',
  key: 'tls/server.key',
  caPublic: 'tls/ca-public.pem',
} as const;
