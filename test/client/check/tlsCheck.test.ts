import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluateTls, type TlsInput } from '../../../src/client/check/tlsCheck.ts';
import type { CertificateFacts } from '../../../src/client/net/tlsProbe.ts';
import { parseTarget } from '../../../src/client/net/url.ts';

const now = new Date('2027-01-01T00:00:00Z');
const target = (() => {
  const parsed = parseTarget('https://192.0.2.10');
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.target;
})();
const leaf = (validTo: string): CertificateFacts => ({
  subject: 'CN=copilot-vm',
  issuer: 'CN=SLM-Copilot appliance CA',
  sans: ['DNS:copilot-vm', 'IP Address:192.0.2.10'],
  validFrom: '2026-01-01T00:00:00.000Z',
  validTo,
  fingerprint256: 'AA',
  isCa: false,
  pem: '',
});
const input = (
  probe: Partial<Extract<TlsInput['probe'], { ok: true }>>,
  trust: TlsInput['trust'] = { ok: true, trust: { kind: 'ca', pem: '', source: 'the CA in ca.pem' } },
): TlsInput => ({
  target,
  trust,
  now,
  probe: {
    ok: true,
    chainVerified: true,
    chainError: null,
    identityError: null,
    protocol: 'TLSv1.3',
    chain: [leaf('2028-01-01T00:00:00.000Z')],
    ...probe,
  },
});

describe('the TLS check (pure)', () => {
  it('passes with the days to expiry and what it was verified against', () => {
    const result = evaluateTls(input({}));
    assert.equal(result.status, 'pass');
    assert.match(
      result.reason,
      /^verified against the CA in ca\.pem; covers 192\.0\.2\.10; TLSv1\.3; expires in 365 days$/,
    );
  });

  it('fails a certificate that expires within three weeks: the renewal is broken', () => {
    const result = evaluateTls(input({ chain: [leaf('2027-01-11T00:00:00.000Z')] }));
    assert.equal(result.status, 'fail');
    assert.match(result.reason, /expires in 10 days/);
    assert.match(result.fix ?? '', /slm-copilot renew/);
  });

  it('explains an untrusted appliance CA with the system roots, and an expired certificate', () => {
    const system = evaluateTls(
      input(
        { chainVerified: false, chainError: 'SELF_SIGNED_CERT_IN_CHAIN' },
        { ok: true, trust: { kind: 'system' } },
      ),
    );
    assert.match(system.cause ?? '', /its own CA/);
    assert.match(system.fix ?? '', /--fingerprint/);
    const expired = evaluateTls(input({ chainVerified: false, chainError: 'CERT_HAS_EXPIRED' }));
    assert.match(expired.reason, /has expired/);
  });

  it('fails plain http and an unreachable server with their fixes', () => {
    const plain = parseTarget('http://192.0.2.10');
    assert.ok(plain.ok);
    const http = evaluateTls({
      target: plain.target,
      trust: { ok: true, trust: { kind: 'insecure' } },
      probe: null,
      now,
    });
    assert.match(http.fix ?? '', /https:\/\/192\.0\.2\.10/);
    const down = evaluateTls({
      ...input({}),
      probe: { ok: false, error: 'connect ECONNREFUSED', code: 'ECONNREFUSED' },
    });
    assert.match(down.reason, /ECONNREFUSED/);
    assert.match(down.fix ?? '', /port 443/);
  });
});
