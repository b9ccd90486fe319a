import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect, createServer } from 'node:tls';
import { ensureTls, opensslCli, type TlsResult, tlsPaths } from '../../../src/appliance/tls/applianceTls.ts';
import { parseSubjectAltName, type SanSet, sanSet } from '../../../src/appliance/tls/leafPolicy.ts';
import { LAYOUT, type TLS_FILES } from '../../../src/core/facts/layout.ts';
import { makeTestPki } from '../../support/certificates.ts';

const DAY = 86_400_000;
const SANS = sanSet('copilot-vm', ['192.0.2.10', '2001:db8::10'], null);
const openssl = opensslCli();

let umask = 0;
before(() => {
  umask = process.umask(0o077); // what the one-apps driver runs with
});
after(() => process.umask(umask));

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
function stateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'slm-tls-'));
  dirs.push(dir);
  return join(dir, 'state');
}

const run = (dir: string, sans: SanSet = SANS, now = new Date()) =>
  ensureTls({ stateDir: dir, mode: 'appliance-ca', sans, now }, { openssl });
const read = (dir: string, name: keyof typeof TLS_FILES) => readFileSync(tlsPaths(dir)[name], 'utf8');
const cli = (...args: string[]) => execFileSync('openssl', args, { encoding: 'utf8', stdio: 'pipe' });
const leafOf = (dir: string) => new X509Certificate(read(dir, 'certificate'));
const mode = (path: string) => statSync(path).mode & 0o7777;
const snapshot = (dir: string) =>
  Object.fromEntries(
    (['caKey', 'caCertificate', 'certificate', 'key', 'caPublic'] as const).map((name) => {
      const path = tlsPaths(dir)[name];
      return [
        name,
        existsSync(path) ? { bytes: readFileSync(path, 'utf8'), inode: statSync(path).ino } : null,
      ];
    }),
  );
const reasonOf = (result: TlsResult) => result.reason ?? '';

describe('ensureTls, appliance CA', () => {
  const dir = stateDir();
  const now = new Date();
  let first: TlsResult;
  before(() => {
    first = run(dir, SANS, now);
  });

  it('first run makes the CA and a leaf it signed, and the state directory nginx can traverse', () => {
    assert.equal(mode(dir), 0o711);
    assert.equal(first.issued, true);
    assert.equal(first.reason, 'no certificate yet');
    assert.equal(first.caCreated, true);
    assert.equal(first.mode, 'appliance-ca');
    const paths = tlsPaths(dir);
    assert.equal(first.certificatePath, paths.certificate);
    assert.equal(first.keyPath, paths.key);
    assert.equal(first.caPath, paths.caPublic);
    assert.match(cli('verify', '-CAfile', paths.caCertificate, paths.certificate), /: OK/);
  });

  it('makes a CA with pathlen:0 and a short random id, and serves it at /ca.pem with its fingerprint', () => {
    const ca = new X509Certificate(read(dir, 'caCertificate'));
    assert.match(ca.subject, /^CN=SLM-Copilot appliance CA [0-9a-f]{8}$/);
    assert.ok(ca.ca);
    assert.match(
      cli('x509', '-in', tlsPaths(dir).caCertificate, '-noout', '-ext', 'basicConstraints'),
      /critical\s+CA:TRUE, pathlen:0/,
    );
    assert.match(
      cli('x509', '-in', tlsPaths(dir).caCertificate, '-noout', '-ext', 'keyUsage'),
      /Certificate Sign, CRL Sign/,
    );
    assert.equal(read(dir, 'caPublic'), read(dir, 'caCertificate'));
    assert.equal(first.caPem, read(dir, 'caCertificate'));
    assert.equal(first.caFingerprintSha256, ca.fingerprint256);
    const printed = cli('x509', '-in', tlsPaths(dir).caCertificate, '-noout', '-fingerprint', '-sha256');
    assert.equal(printed.trim(), `sha256 Fingerprint=${first.caFingerprintSha256}`);
    assert.ok(new Date(ca.validTo).getTime() - now.getTime() > 3640 * DAY);
  });

  it('serves leaf + CA, with every SAN, serverAuth, EC P-256, valid from a day ago for 397 days from now', () => {
    const blocks = read(dir, 'certificate').match(
      /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/g,
    );
    assert.equal(blocks?.length, 2);
    assert.equal(blocks?.[1], read(dir, 'caCertificate'));
    const leaf = leafOf(dir);
    assert.deepEqual(
      {
        dns: [...parseSubjectAltName(leaf.subjectAltName ?? '').dns].sort(),
        ips: [...parseSubjectAltName(leaf.subjectAltName ?? '').ips].sort(),
      },
      { dns: [...SANS.dns].sort(), ips: [...SANS.ips].sort() },
    );
    assert.equal(leaf.subject, 'CN=copilot-vm');
    assert.deepEqual(leaf.keyUsage, ['1.3.6.1.5.5.7.3.1']);
    assert.equal(leaf.ca, false);
    assert.equal(leaf.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    const notBefore = new Date(leaf.validFrom).getTime();
    const notAfter = new Date(leaf.validTo).getTime();
    assert.ok(Math.abs(notBefore - (now.getTime() - DAY)) < 2000, leaf.validFrom);
    assert.ok(Math.abs(notAfter - (now.getTime() + 397 * DAY)) < 2000, leaf.validTo);
    assert.equal(first.leafNotAfter, new Date(leaf.validTo).toISOString());
    assert.match(leaf.serialNumber, /^[4-7][0-9A-F]{31}$/);
  });

  it('sets modes explicitly under umask 0077: keys 0600, certificates 0644, tls/ 0711', () => {
    const paths = tlsPaths(dir);
    assert.equal(mode(paths.dir), 0o711);
    assert.equal(mode(paths.caKey), 0o600);
    assert.equal(mode(paths.key), 0o600);
    assert.equal(mode(paths.caCertificate), 0o644);
    assert.equal(mode(paths.certificate), 0o644);
    assert.equal(mode(paths.caPublic), 0o644);
    assert.equal(existsSync(join(paths.dir, '.work')), false, 'the work directory is removed');
  });

  it('a second run with the same SANs (in another order) changes nothing', () => {
    const before = snapshot(dir);
    const reordered = { dns: [...SANS.dns].reverse(), ips: [...SANS.ips].reverse() };
    const second = run(dir, reordered);
    assert.equal(second.issued, false);
    assert.equal(second.reason, undefined);
    assert.equal(second.caCreated, false);
    assert.equal(second.caFingerprintSha256, first.caFingerprintSha256);
    assert.equal(second.leafNotAfter, first.leafNotAfter);
    assert.deepEqual(snapshot(dir), before, 'same bytes, same inodes');
  });

  it('a client that trusts the CA connects over TLS 1.2 and 1.3 by name, IPv4 and IPv6 (when there is ::1)', async () => {
    const server = createServer({ cert: read(dir, 'certificate'), key: read(dir, 'key') }, (socket) =>
      socket.end('hello'),
    );
    const ipv6 = Object.values(networkInterfaces()).some((list) =>
      list?.some((entry) => entry.address === '::1'),
    );
    await new Promise<void>((resolve) => server.listen(0, ipv6 ? '::' : '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const targets: [string, string | undefined][] = [
      ['127.0.0.1', undefined],
      ['127.0.0.1', 'localhost'],
      ...(ipv6 ? [['::1', undefined] as [string, undefined]] : []),
    ];
    try {
      for (const [host, servername] of targets) {
        for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
          const text = await new Promise<string>((resolve, reject) => {
            const socket = connect(
              {
                host,
                port,
                ca: read(dir, 'caPublic'),
                minVersion: version,
                maxVersion: version,
                ...(servername ? { servername } : {}),
              },
              () => socket.on('data', (data) => resolve(data.toString())),
            );
            socket.on('error', reject);
          });
          assert.equal(text, 'hello', `${host} ${servername ?? ''} ${version}`);
        }
      }
    } finally {
      server.close();
    }
  });
});

describe('ensureTls re-issues only the leaf', () => {
  it('when an address is added: same CA bytes and fingerprint, new leaf with the new IP', () => {
    const dir = stateDir();
    const first = run(dir);
    const before = snapshot(dir);
    const moved = sanSet('copilot-vm', ['192.0.2.10', '2001:db8::10', '198.51.100.7'], null);
    const second = run(dir, moved);
    assert.equal(second.issued, true);
    assert.equal(second.reason, 'SAN set changed: added IP:198.51.100.7');
    assert.equal(second.caCreated, false);
    assert.equal(second.caFingerprintSha256, first.caFingerprintSha256);
    const after = snapshot(dir);
    assert.deepEqual(after.caCertificate, before.caCertificate);
    assert.deepEqual(after.caKey, before.caKey);
    assert.deepEqual(after.caPublic, before.caPublic);
    assert.notEqual(after.certificate?.bytes, before.certificate?.bytes);
    assert.notEqual(after.key?.bytes, before.key?.bytes, 'a new key');
    assert.match(cli('verify', '-CAfile', tlsPaths(dir).caCertificate, tlsPaths(dir).certificate), /: OK/);
    assert.ok(parseSubjectAltName(leafOf(dir).subjectAltName ?? '').ips.includes('198.51.100.7'));
    assert.equal(mode(tlsPaths(dir).key), 0o600);
  });

  it('within 30 days of expiry, from the new now', () => {
    const dir = stateDir();
    const first = run(dir);
    const later = new Date(new Date(first.leafNotAfter).getTime() - 20 * DAY);
    const renewed = run(dir, SANS, later);
    assert.equal(renewed.issued, true);
    assert.match(reasonOf(renewed), /^expires within 30 days/);
    assert.equal(renewed.caFingerprintSha256, first.caFingerprintSha256);
    const leaf = leafOf(dir);
    assert.ok(Math.abs(new Date(leaf.validFrom).getTime() - (later.getTime() - DAY)) < 2000);
    assert.ok(Math.abs(new Date(leaf.validTo).getTime() - (later.getTime() + 397 * DAY)) < 2000);
    const at = String(Math.floor(later.getTime() / 1000));
    assert.match(
      cli('verify', '-attime', at, '-CAfile', tlsPaths(dir).caCertificate, tlsPaths(dir).certificate),
      /: OK/,
    );
    assert.equal(run(dir, SANS, later).issued, false, 'and then keeps it');
  });

  it('when the key no longer matches (a crash between the two renames)', () => {
    const dir = stateDir();
    run(dir);
    const paths = tlsPaths(dir);
    execFileSync('openssl', [
      'genpkey',
      '-algorithm',
      'EC',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-out',
      paths.key,
    ]);
    const fixed = run(dir);
    assert.equal(fixed.issued, true);
    assert.match(reasonOf(fixed), /private key does not match/);
  });
});

describe('ensureTls and the CA', () => {
  it('makes a new CA when both CA files were removed, and the leaf follows', () => {
    const dir = stateDir();
    const first = run(dir);
    rmSync(tlsPaths(dir).caCertificate);
    rmSync(tlsPaths(dir).caKey);
    const second = run(dir);
    assert.equal(second.caCreated, true);
    assert.notEqual(second.caFingerprintSha256, first.caFingerprintSha256);
    assert.equal(second.issued, true);
    assert.match(cli('verify', '-CAfile', tlsPaths(dir).caCertificate, tlsPaths(dir).certificate), /: OK/);
  });

  it('makes a new CA once the old one has expired; a leaf never outlives its CA', () => {
    const dir = stateDir();
    const first = run(dir);
    const caNotAfter = new Date(new X509Certificate(first.caPem).validTo).getTime();
    const late = run(dir, SANS, new Date(caNotAfter - 100 * DAY));
    assert.equal(late.caCreated, false);
    assert.equal(new Date(late.leafNotAfter).getTime(), caNotAfter);
    const expired = run(dir, SANS, new Date(caNotAfter + DAY));
    assert.equal(expired.caCreated, true);
    assert.notEqual(expired.caFingerprintSha256, first.caFingerprintSha256);
    assert.match(reasonOf(expired), /^CA changed/);
  });

  it('refuses to go on when the CA certificate has lost its key, and changes nothing', () => {
    const dir = stateDir();
    run(dir);
    rmSync(tlsPaths(dir).caKey);
    const before = snapshot(dir);
    assert.throws(() => run(dir, sanSet('other', [], null)), /has no matching key/);
    assert.deepEqual(snapshot(dir), before);
  });
});

describe('ensureTls, operator certificate', () => {
  const pki = makeTestPki();
  const operator = { chainPem: `${pki.leafPem}${pki.caPem}`, keyPem: pki.leafKeyPem };
  const install = (dir: string, given = operator) =>
    ensureTls({ stateDir: dir, mode: 'operator', sans: SANS, operator: given, now: new Date() }, { openssl });

  it('serves the chain and key, and the last certificate of the chain at /ca.pem, leaving the appliance CA alone', () => {
    const dir = stateDir();
    run(dir);
    const before = snapshot(dir);
    const result = install(dir);
    assert.equal(result.mode, 'operator');
    assert.equal(result.issued, true);
    assert.equal(result.caCreated, false);
    assert.equal(read(dir, 'certificate'), `${pki.leafPem.trim()}\n${pki.caPem.trim()}\n`);
    assert.equal(read(dir, 'key'), pki.leafKeyPem);
    assert.equal(read(dir, 'caPublic'), pki.caPem);
    assert.equal(result.caPem, pki.caPem);
    assert.equal(result.caFingerprintSha256, new X509Certificate(pki.caPem).fingerprint256);
    assert.equal(result.leafNotAfter, new Date(new X509Certificate(pki.leafPem).validTo).toISOString());
    const after = snapshot(dir);
    assert.deepEqual(after.caCertificate, before.caCertificate);
    assert.deepEqual(after.caKey, before.caKey);
    assert.equal(mode(tlsPaths(dir).key), 0o600);
    assert.equal(mode(tlsPaths(dir).caPublic), 0o644);

    const again = snapshot(dir);
    assert.equal(install(dir).issued, false);
    assert.deepEqual(snapshot(dir), again);
  });

  it('a chain of one certificate serves that certificate at /ca.pem', () => {
    const dir = stateDir();
    const result = install(dir, { chainPem: pki.leafPem, keyPem: pki.leafKeyPem });
    assert.equal(result.caPem, pki.leafPem);
    assert.equal(existsSync(tlsPaths(dir).caCertificate), false, 'no appliance CA is made in operator mode');
  });

  it('refuses a key that does not match, before writing anything', () => {
    const dir = stateDir();
    run(dir);
    const before = snapshot(dir);
    assert.throws(() => install(dir, { ...operator, keyPem: pki.otherKeyPem }), /does not match/);
    assert.deepEqual(snapshot(dir), before);
  });

  it('back to the appliance CA: its own leaf is issued again', () => {
    const dir = stateDir();
    const first = run(dir);
    install(dir);
    const back = run(dir);
    assert.equal(back.issued, true);
    assert.match(reasonOf(back), /^CA changed/);
    assert.equal(back.caFingerprintSha256, first.caFingerprintSha256);
    assert.equal(read(dir, 'caPublic'), read(dir, 'caCertificate'));
  });
});

it('TLS_FILES agree with the served paths in LAYOUT', () => {
  const paths = tlsPaths(LAYOUT.stateDir);
  assert.equal(paths.certificate, LAYOUT.tlsCertificate);
  assert.equal(paths.key, LAYOUT.tlsKey);
  assert.equal(paths.caPublic, LAYOUT.tlsCaPublic);
});
