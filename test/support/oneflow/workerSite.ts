/**
 * nginx serving the rendered worker site (a OneFlow worker's front door) from a temporary directory, with the test
 * certificate it is given: the scale-out suite's workers, and `check` pointed at a worker.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitForPort } from '../../../src/build/sandbox/nginxProcess.ts';
import { renderNginxWorkerSite } from '../../../src/core/render/nginxWorkerSite.ts';

export interface WorkerSiteOptions {
  readonly address: string;
  readonly port: number;
  readonly frontAddress: string;
  readonly secret: string;
  /** The certificate chain nginx serves, its key, and the CA /ca.pem serves. */
  readonly tls: { readonly chainPem: string; readonly keyPem: string; readonly caPem: string };
  /** The relay it proxies to (default: the appliance's address). */
  readonly relay?: { readonly host: string; readonly port: number };
}

/** Starts nginx (no master, no daemon) and resolves once it listens. */
export async function startWorkerSite(options: WorkerSiteOptions): Promise<ChildProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'slm-worker-nginx-'));
  mkdirSync(join(dir, 'logs'));
  writeFileSync(join(dir, 'server.pem'), options.tls.chainPem);
  writeFileSync(join(dir, 'server.key'), options.tls.keyPem);
  writeFileSync(join(dir, 'ca.pem'), options.tls.caPem);
  const site = renderNginxWorkerSite({
    listen: { host: options.address, port: options.port },
    frontAddress: options.frontAddress,
    secret: options.secret,
    certificate: join(dir, 'server.pem'),
    key: join(dir, 'server.key'),
    caPublic: join(dir, 'ca.pem'),
    timeoutSeconds: 600,
    ...(options.relay === undefined ? {} : { relay: options.relay }),
  });
  writeFileSync(join(dir, 'site.conf'), site);
  writeFileSync(
    join(dir, 'nginx.conf'),
    `pid ${dir}/nginx.pid;\nerror_log ${dir}/logs/error.log;\ndaemon off;\nmaster_process off;\nevents { worker_connections 256; }\nhttp {\n  access_log off;\n  client_body_temp_path ${dir}/body;\n  proxy_temp_path ${dir}/proxy;\n  include ${dir}/site.conf;\n}\n`,
  );
  const nginx: ChildProcess = spawn(
    'nginx',
    ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', `${dir}/logs/error.log`],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  await waitForPort(options.address, options.port, nginx, 20_000);
  return nginx;
}
