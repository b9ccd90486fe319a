/**
 * Let's Encrypt through certbot's webroot (nginx serves /.well-known/acme-challenge/ from the appliance's webroot
 * on port 80). Bounded in time: an ACME server that accepts and never answers would hold certbot 45 s per call.
 */
import { posix } from 'node:path';
import { LAYOUT } from '../../core/facts/layout.ts';
import { ranOk, run, whyFailed } from '../../system/process.ts';

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

export async function requestCertificate(request: AcmeRequest): Promise<AcmeResult> {
  const timeout = request.timeoutSeconds ?? 120;
  const ran = await run('certbot', certbotArguments(request), {
    env: request.env,
    timeoutMs: timeout * 1000,
  });
  if (ranOk(ran)) return { ok: true };
  if (ran.interrupted === 'timeout')
    return { ok: false, reason: `certbot did not finish within ${timeout} s` };
  // certbot explains itself at length: its last two lines say what failed.
  const last = ran.stderr.trim().split('\n').filter(Boolean).slice(-2).join(' ');
  return { ok: false, reason: `certbot failed: ${last || whyFailed(ran)}` };
}
