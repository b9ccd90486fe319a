/**
 * Let's Encrypt through certbot's webroot (nginx serves /.well-known/acme-challenge/ from the appliance's webroot
 * on port 80). Bounded in time: an ACME server that accepts and never answers would hold certbot 45 s per call.
 */
import { execFile } from 'node:child_process';
import { posix } from 'node:path';
import { LAYOUT } from '../../core/facts/layout.ts';

export interface AcmeRequest {
  readonly root: string;
  readonly domain: string;
  readonly email: string | null;
  /** ACME directory URL; Let's Encrypt's production directory unless given (tests use pebble). */
  readonly server?: string;
  readonly timeoutSeconds?: number;
  readonly env: NodeJS.ProcessEnv;
}

export type AcmeResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** certbot's directories under the root: /etc/letsencrypt on the appliance. */
export function certbotDirs(root: string) {
  return {
    config: posix.join(root, '/etc/letsencrypt'),
    work: posix.join(root, '/var/lib/letsencrypt'),
    logs: posix.join(root, '/var/log/letsencrypt'),
  };
}

export function lineage(root: string, domain: string) {
  const live = posix.join(certbotDirs(root).config, 'live', domain);
  return { fullchain: `${live}/fullchain.pem`, privkey: `${live}/privkey.pem` };
}

export function certbotArguments(request: AcmeRequest): string[] {
  const dirs = certbotDirs(request.root);
  return [
    'certonly',
    '--webroot',
    '-w',
    posix.join(request.root, LAYOUT.acmeWebroot),
    '-d',
    request.domain,
    '--non-interactive',
    '--agree-tos',
    '--keep-until-expiring',
    ...(request.email === null ? ['--register-unsafely-without-email'] : ['--email', request.email]),
    '--config-dir',
    dirs.config,
    '--work-dir',
    dirs.work,
    '--logs-dir',
    dirs.logs,
    ...(request.server === undefined ? [] : ['--server', request.server]),
  ];
}

export function requestCertificate(request: AcmeRequest): Promise<AcmeResult> {
  const timeout = request.timeoutSeconds ?? 120;
  return new Promise((resolve) => {
    execFile(
      'certbot',
      certbotArguments(request),
      { env: request.env, timeout: timeout * 1000, killSignal: 'SIGKILL' },
      (error, _stdout, stderr) => {
        if (error === null) resolve({ ok: true });
        else {
          const killed = (error as { killed?: boolean }).killed === true;
          const last = stderr.trim().split('\n').filter(Boolean).slice(-2).join(' ');
          resolve({
            ok: false,
            reason: killed
              ? `certbot did not finish within ${timeout} s`
              : `certbot failed: ${last || error.message}`,
          });
        }
      },
    );
  });
}
