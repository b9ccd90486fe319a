/**
 * Fake publishers on loopback for `make lock` tests: one HTTP server answering for every publisher host. A request
 * for `https://<host>/<path>` reaches it as `/<host>/<path>` through the lock's URL rewrite.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { curlHttp, type Http } from '../../src/artifacts/download/curl.ts';

export interface Route {
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
  /** Decides per request (e.g. 401 without a token). */
  readonly handle?: (req: IncomingMessage) => Route;
}

export interface FakePublishers {
  readonly url: string;
  readonly routes: Map<string, Route>;
  /** Requests seen, as "<METHOD> https://host/path". */
  readonly seen: string[];
  readonly http: Http;
  close(): Promise<void>;
}

export async function startPublishers(routes: Record<string, Route>): Promise<FakePublishers> {
  const table = new Map(Object.entries(routes));
  const seen: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const original = `https:/${(req.url ?? '/').split('?')[0]}`;
    seen.push(`${req.method} ${original}`);
    let route = table.get(original) ?? { status: 404, body: 'not found\n' };
    if (route.handle !== undefined) route = route.handle(req);
    const body = route.body ?? '';
    res.writeHead(route.status ?? 200, { 'Content-Length': Buffer.byteLength(body), ...route.headers });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!/_proxy$/i.test(name)) env[name] = value;
  return {
    url,
    routes: table,
    seen,
    http: curlHttp({ env, rewrite: (target) => target.replace(/^https:\/\//, `${url}/`) }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export { sha256 } from './loopback.ts';

export const integrity = (data: Buffer | string) =>
  `sha512-${createHash('sha512').update(data).digest('base64')}`;

/** A gzip'd `git archive` of a one-file repository, and the commit it was made from (needs git). */
export function gitArchive(): { tarball: Buffer; commit: string } {
  const dir = mkdtempSync(join(tmpdir(), 'slm-git-archive-'));
  try {
    const git = (...args: string[]) =>
      execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@example.org', ...args], {
        encoding: 'utf8',
      }).trim();
    git('init', '-q');
    writeFileSync(join(dir, 'service.sh'), '#!/bin/bash\necho service\n');
    git('add', 'service.sh');
    git('commit', '-q', '-m', 'one');
    git('tag', 'v1.0.0');
    const commit = git('rev-parse', 'HEAD');
    const out = join(dir, 'archive.tar.gz');
    git('archive', '--format=tar.gz', '--prefix=repo-1.0.0/', '-o', out, 'v1.0.0');
    return { tarball: readFileSync(out), commit };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
