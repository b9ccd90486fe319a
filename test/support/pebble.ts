/**
 * Debian's pebble (a real ACME server for tests) on loopback, with pebble-challtestsrv as its DNS (every name
 * resolves to 127.0.0.1) and a static server for the HTTP-01 webroot on the port pebble validates.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { freePort } from './ports.ts';

export interface Pebble {
  readonly directoryUrl: string;
  /** CA bundle certbot must trust to talk to pebble (REQUESTS_CA_BUNDLE). */
  readonly listenerCa: string;
  stop(): Promise<void>;
}

function openssl(dir: string, ...args: string[]) {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

async function waitFor(url: string, ca: string, child: ChildProcess): Promise<void> {
  const { request } = await import('node:https');
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null) throw new Error(`pebble exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      request(url, { ca: readFileSync(ca) }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      })
        .on('error', () => resolve(false))
        .end();
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`pebble did not answer at ${url}`);
}

/** Starts pebble validating HTTP-01 on httpPort. */
export async function startPebble(httpPort: number): Promise<Pebble> {
  const dir = mkdtempSync(join(tmpdir(), 'slm-pebble-'));
  openssl(
    dir,
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-subj',
    '/CN=pebble listener test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  openssl(
    dir,
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'key.pem',
    '-out',
    'cert.csr',
    '-subj',
    '/CN=localhost',
  );
  writeFileSync(
    join(dir, 'ext.cnf'),
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n',
  );
  openssl(
    dir,
    'x509',
    '-req',
    '-in',
    'cert.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-out',
    'cert.pem',
    '-extfile',
    'ext.cnf',
  );
  const [acmePort, managementPort, dnsPort, challengeManagementPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  writeFileSync(
    join(dir, 'pebble.json'),
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${acmePort}`,
        managementListenAddress: `127.0.0.1:${managementPort}`,
        certificate: join(dir, 'cert.pem'),
        privateKey: join(dir, 'key.pem'),
        httpPort,
        tlsPort: await freePort(),
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
      },
    }),
  );
  const dns = spawn(
    'pebble-challtestsrv',
    [
      '-defaultIPv4',
      '127.0.0.1',
      '-defaultIPv6',
      '',
      '-dns01',
      `127.0.0.1:${dnsPort}`,
      '-http01',
      '',
      '-https01',
      '',
      '-tlsalpn01',
      '',
      '-management',
      `127.0.0.1:${challengeManagementPort}`,
    ],
    { stdio: 'ignore' },
  );
  const pebble = spawn(
    'pebble',
    ['-config', join(dir, 'pebble.json'), '-dnsserver', `127.0.0.1:${dnsPort}`],
    {
      stdio: 'ignore',
      env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0' },
    },
  );
  const directoryUrl = `https://127.0.0.1:${acmePort}/dir`;
  const stopAll = async () => {
    for (const child of [pebble, dns]) {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
    }
  };
  try {
    await waitFor(directoryUrl, join(dir, 'ca.pem'), pebble);
  } catch (error) {
    await stopAll();
    throw error;
  }
  return { directoryUrl, listenerCa: join(dir, 'ca.pem'), stop: stopAll };
}

/** Serves files under `root` on 127.0.0.1:port (the ACME webroot, as nginx's port-80 server does). */
export async function serveWebroot(root: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    const path = normalize(join(root, decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/')));
    try {
      if (!path.startsWith(root)) throw new Error('outside');
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end(readFileSync(path));
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}
