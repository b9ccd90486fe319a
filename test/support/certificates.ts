/**
 * Test certificates made with the real openssl: a CA, a leaf it signed (30 days) and a stranger key.
 * Expiry is tested by parsing with a `now` past the leaf's notAfter (Debian's openssl 3.0 cannot backdate).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  readonly dir: string;
  readonly caPem: string;
  readonly leafPem: string;
  readonly leafKeyPem: string;
  readonly otherKeyPem: string;
}

const openssl = (dir: string, ...args: string[]) =>
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'slm-pki-'));
  const key = (name: string) =>
    openssl(dir, 'genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', name);
  key('ca.key');
  openssl(
    dir,
    'req',
    '-x509',
    '-new',
    '-key',
    'ca.key',
    '-subj',
    '/CN=Test CA',
    '-days',
    '30',
    '-out',
    'ca.pem',
    '-addext',
    'basicConstraints=critical,CA:TRUE,pathlen:0',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  key('leaf.key');
  openssl(dir, 'req', '-new', '-key', 'leaf.key', '-subj', '/CN=leaf.example.com', '-out', 'leaf.csr');
  writeFileSync(join(dir, 'leaf.ext'), 'subjectAltName=DNS:leaf.example.com\n');
  openssl(
    dir,
    'x509',
    '-req',
    '-in',
    'leaf.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-extfile',
    'leaf.ext',
    '-days',
    '30',
    '-out',
    'leaf.pem',
  );
  key('other.key');
  const read = (name: string) => readFileSync(join(dir, name), 'utf8');
  return {
    dir,
    caPem: read('ca.pem'),
    leafPem: read('leaf.pem'),
    leafKeyPem: read('leaf.key'),
    otherKeyPem: read('other.key'),
  };
}

export const base64 = (text: string) => Buffer.from(text).toString('base64');
