import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  type LeafFacts,
  leafDecision,
  leafFacts,
  normaliseDnsName,
  normaliseIp,
  normaliseSans,
  parseSubjectAltName,
  sanSet,
} from '../../../src/appliance/tls/leafPolicy.ts';
import { makeTestPki } from '../../support/certificates.ts';

const DAY = 86_400_000;
const NOW = new Date('2026-06-01T12:00:00Z');
const DESIRED = normaliseSans(['copilot.example.com', 'localhost'], ['192.0.2.10', '127.0.0.1', '::1']);

const facts = (overrides: Partial<LeafFacts> = {}): LeafFacts => ({
  sans: DESIRED,
  notBefore: new Date(NOW.getTime() - DAY),
  notAfter: new Date(NOW.getTime() + 300 * DAY),
  fingerprint256: 'AB:CD',
  issuedByCa: true,
  keyMatches: true,
  ...overrides,
});

describe('normalising names', () => {
  it('writes IPs the way certificates read back, and refuses what is no IP', () => {
    assert.equal(normaliseIp('2001:DB8:0:0:0:0:0:10'), '2001:db8::10');
    assert.equal(normaliseIp('0:0:0:0:0:0:0:1'), '::1');
    assert.equal(normaliseIp('::ffff:192.0.2.1'), '::ffff:c000:201');
    assert.equal(normaliseIp(' 192.0.2.1 '), '192.0.2.1');
    for (const bad of ['fe80::1%eth0', 'example.com', '300.1.1.1', ''])
      assert.equal(normaliseIp(bad), null, bad);
  });
  it('lower-cases DNS names, drops the trailing dot, refuses invalid names', () => {
    assert.equal(normaliseDnsName('VM.Example.COM.'), 'vm.example.com');
    for (const bad of ['bad_name', '192.0.2.1', '-x.example', '', 'a..b']) {
      assert.equal(normaliseDnsName(bad), null, bad);
    }
  });
  it('normaliseSans drops duplicates and refuses invalid entries', () => {
    assert.deepEqual(normaliseSans(['A.example', 'a.example.'], ['::1', '0:0::1']), {
      dns: ['a.example'],
      ips: ['::1'],
    });
    assert.throws(() => normaliseSans(['bad_name'], []), /DNS name/);
    assert.throws(() => normaliseSans([], ['nope']), /IP address/);
  });
});

describe('sanSet', () => {
  it('covers the domain, the host name, every address, and localhost, 127.0.0.1 and ::1', () => {
    assert.deepEqual(sanSet('Copilot-VM', ['192.0.2.10', '2001:DB8::10'], 'copilot.example.com'), {
      dns: ['copilot.example.com', 'copilot-vm', 'localhost'],
      ips: ['192.0.2.10', '2001:db8::10', '127.0.0.1', '::1'],
    });
  });
  it('works without a domain or addresses', () => {
    assert.deepEqual(sanSet('vm', [], null), { dns: ['vm', 'localhost'], ips: ['127.0.0.1', '::1'] });
  });
  it('leaves out a host name that is no DNS name and zoned addresses; an IP host name is an address', () => {
    assert.deepEqual(sanSet('my_vm', ['fe80::1%eth0', '192.0.2.10'], null), {
      dns: ['localhost'],
      ips: ['192.0.2.10', '127.0.0.1', '::1'],
    });
    assert.deepEqual(sanSet('192.0.2.10', ['192.0.2.10'], null).ips, ['192.0.2.10', '127.0.0.1', '::1']);
  });
});

describe('leafDecision', () => {
  it('issues when there is no certificate yet', () => {
    assert.deepEqual(leafDecision(DESIRED, null, NOW), { action: 'issue', reason: 'no certificate yet' });
  });
  it('keeps a valid certificate with the same names in any order', () => {
    const reordered = { dns: [...DESIRED.dns].reverse(), ips: [...DESIRED.ips].reverse() };
    assert.deepEqual(leafDecision(DESIRED, facts({ sans: reordered }), NOW), { action: 'keep' });
  });
  it('names the SANs added and removed', () => {
    const current = normaliseSans(
      ['copilot.example.com', 'localhost', 'old-name'],
      ['192.0.2.9', '127.0.0.1', '::1'],
    );
    assert.deepEqual(leafDecision(DESIRED, facts({ sans: current }), NOW), {
      action: 'issue',
      reason: 'SAN set changed: added IP:192.0.2.10 / removed DNS:old-name, IP:192.0.2.9',
    });
  });
  it('renews within 30 days of expiry, not before', () => {
    const at = (days: number) =>
      leafDecision(DESIRED, facts({ notAfter: new Date(NOW.getTime() + days * DAY) }), NOW);
    assert.deepEqual(at(31), { action: 'keep' });
    assert.match(
      (at(30) as { reason: string }).reason,
      /^expires within 30 days \(on 2026-07-01T12:00:00\.000Z\)$/,
    );
    assert.match((at(1) as { reason: string }).reason, /expires within 30 days/);
    assert.match((at(-1) as { reason: string }).reason, /^expired on 2026-05-31/);
  });
  it('issues when the CA did not issue it, the key does not match, or it is not valid yet', () => {
    assert.match(
      (leafDecision(DESIRED, facts({ issuedByCa: false }), NOW) as { reason: string }).reason,
      /^CA changed/,
    );
    assert.match(
      (leafDecision(DESIRED, facts({ keyMatches: false }), NOW) as { reason: string }).reason,
      /key/,
    );
    const future = facts({ notBefore: new Date(NOW.getTime() + DAY) });
    assert.match((leafDecision(DESIRED, future, NOW) as { reason: string }).reason, /not valid before/);
  });
  it('gives every reason at once', () => {
    const decision = leafDecision(
      DESIRED,
      facts({
        issuedByCa: false,
        sans: normaliseSans(['localhost'], []),
        notAfter: new Date(NOW.getTime() + DAY),
      }),
      NOW,
    );
    assert.equal(decision.action, 'issue');
    assert.equal((decision as { reason: string }).reason.split('; ').length, 3);
  });
});

describe('parseSubjectAltName', () => {
  it("reads Node's text form, IPv6 written out in full, quoted values, and ignores other kinds", () => {
    assert.deepEqual(
      parseSubjectAltName(
        'DNS:Vm.Example, IP Address:192.0.2.1, IP Address:2001:DB8:0:0:0:0:0:10, email:a@b.example, DNS:"odd,name"',
      ),
      { dns: ['vm.example', 'odd,name'], ips: ['192.0.2.1', '2001:db8::10'] },
    );
    assert.deepEqual(parseSubjectAltName(''), { dns: [], ips: [] });
  });
});

describe('leafFacts', () => {
  const pki = makeTestPki();
  const other = makeTestPki();
  it('reads SANs, validity and fingerprint of the first certificate of a chain', () => {
    const read = leafFacts(`${pki.leafPem}${pki.caPem}`);
    const leaf = new X509Certificate(pki.leafPem);
    assert.deepEqual(read.sans, { dns: ['leaf.example.com'], ips: [] });
    assert.equal(read.fingerprint256, leaf.fingerprint256);
    assert.equal(read.notAfter.getTime(), new Date(leaf.validTo).getTime());
    assert.equal(read.notBefore.getTime(), new Date(leaf.validFrom).getTime());
    assert.equal(read.issuedByCa, undefined);
    assert.equal(read.keyMatches, undefined);
  });
  it('checks the issuer and the key when given', () => {
    const good = leafFacts(pki.leafPem, { caPem: pki.caPem, keyPem: pki.leafKeyPem });
    assert.equal(good.issuedByCa, true);
    assert.equal(good.keyMatches, true);
    const bad = leafFacts(pki.leafPem, { caPem: other.caPem, keyPem: pki.otherKeyPem });
    assert.equal(bad.issuedByCa, false);
    assert.equal(bad.keyMatches, false);
  });
  it('throws on text without a certificate', () => {
    assert.throws(() => leafFacts('nothing here'), /BEGIN CERTIFICATE/);
  });
});
