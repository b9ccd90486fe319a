import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DECLARATION_LIST, DECLARATIONS, type SettingKey } from '../../../src/core/settings/declarations.ts';
import { loadSettings } from '../../../src/core/settings/load.ts';
import { base64, makeTestPki } from '../../support/certificates.ts';

/** Parsed at each call: test certificates are made after this module loads. */
const now = () => ({ now: new Date() });
const KEY_A = 'sk-0123456789abcdef0123456789abcdef01';
const KEY_B = 'sk-fedcba9876543210fedcba9876543210fe';

function load(values: Record<string, string>, context = now()) {
  return loadSettings(new Map(Object.entries(values)), context);
}

function accepted<K extends SettingKey>(key: K, text: string) {
  const result = load({ [DECLARATIONS[key].name]: text });
  assert.ok(
    result.ok,
    `expected ${DECLARATIONS[key].name}=${text} to be accepted: ${JSON.stringify(!result.ok && result.problems)}`,
  );
  return result.settings[key];
}

/** Every problem names exactly this variable, and none shows any of the secret texts. */
function refusedOnly(key: SettingKey, text: string, secrets: string[] = []) {
  const name = DECLARATIONS[key].name;
  const result = load({ [name]: text });
  assert.equal(result.ok, false, `expected ${name}=${JSON.stringify(text)} to be refused`);
  assert.ok(!result.ok);
  assert.ok(result.problems.length > 0);
  for (const problem of result.problems) {
    assert.equal(problem.variable, name);
    assert.ok(problem.message.length > 20, 'a problem says what is expected');
    for (const secret of secrets)
      assert.ok(!problem.message.includes(secret), `secret leaked: ${problem.message}`);
  }
  return result.problems.map((problem) => problem.message);
}

describe('settings defaults (empty or unset)', () => {
  const empty = load({});
  assert.ok(empty.ok);
  const expected: { [K in SettingKey]: unknown } = {
    authKeys: null,
    authUser: 'copilot',
    authPassword: null,
    tlsDomain: null,
    tlsEmail: null,
    tlsCertificate: null,
    tlsKey: null,
    modelContext: 'auto',
    modelThreads: 'auto',
    apiCorsOrigins: '*',
    apiTimeout: 1800,
    apiStreamGrace: 20,
    apiKeepAliveInterval: 15,
    apiQueueLimit: 16,
    apiWarmup: 8,
    role: 'standalone',
    serviceSecret: null,
    frontAddress: null,
  };
  for (const key of Object.keys(DECLARATIONS) as SettingKey[]) {
    it(`${DECLARATIONS[key].name} defaults to ${JSON.stringify(expected[key])}`, () => {
      assert.deepEqual(empty.settings[key], expected[key]);
      const blank = load({ [DECLARATIONS[key].name]: '   ' });
      assert.ok(blank.ok);
      assert.deepEqual(blank.settings[key], expected[key]);
    });
  }
  it('every declaration is covered by this table', () => {
    assert.deepEqual(Object.keys(expected).sort(), Object.keys(DECLARATIONS).sort());
  });
});

describe('ONEAPP_COPILOT_AUTH_KEYS', () => {
  it('accepts named and bare keys; bare keys are named by position', () => {
    assert.deepEqual(accepted('authKeys', `alice:${KEY_A}, ${KEY_B}`), [
      { name: 'alice', key: KEY_A },
      { name: 'key2', key: KEY_B },
    ]);
    assert.deepEqual(accepted('authKeys', `ci.bot_1-x:${KEY_A}`), [{ name: 'ci.bot_1-x', key: KEY_A }]);
  });
  it('refuses short keys, bad names, forbidden characters, duplicates and empty entries without showing keys', () => {
    assert.match(
      refusedOnly('authKeys', 'alice:tooshortkey', ['tooshortkey'])[0] ?? '',
      /at least 32 characters/,
    );
    assert.match(refusedOnly('authKeys', `bad name:${KEY_A}`, [KEY_A])[0] ?? '', /key name is 1 to 32/);
    assert.match(refusedOnly('authKeys', `${'n'.repeat(33)}:${KEY_A}`, [KEY_A])[0] ?? '', /key name/);
    assert.match(refusedOnly('authKeys', `a:${KEY_A}x"quote`, [KEY_A])[0] ?? '', /quotes/);
    assert.match(refusedOnly('authKeys', `a:${KEY_A}:${KEY_B}`, [KEY_A, KEY_B])[0] ?? '', /colons/);
    assert.match(
      refusedOnly('authKeys', `a:${KEY_A},a:${KEY_B}`, [KEY_A, KEY_B])[0] ?? '',
      /share the name "a"/,
    );
    assert.match(refusedOnly('authKeys', `a:${KEY_A},b:${KEY_A}`, [KEY_A])[0] ?? '', /same key/);
    assert.match(
      refusedOnly('authKeys', `a:${KEY_A},,b:${KEY_B}`, [KEY_A, KEY_B])[0] ?? '',
      /entry 2 is empty/,
    );
  });
  it('masks the value but says how long it was', () => {
    const [message] = refusedOnly('authKeys', 'bob:abc123', ['abc123']);
    assert.match(message ?? '', /"bob":<hidden, 6 characters>/);
  });
});

describe('ONEAPP_COPILOT_AUTH_USER', () => {
  it('accepts names of letters, digits, dot, dash and underscore', () => {
    assert.equal(accepted('authUser', 'dev.team_1-a'), 'dev.team_1-a');
  });
  it('refuses colons, spaces, and names over 32 characters', () => {
    for (const bad of ['a:b', 'two words', 'x'.repeat(33), 'ünï']) {
      assert.match(refusedOnly('authUser', bad)[0] ?? '', /1 to 32 letters/);
    }
  });
});

describe('ONEAPP_COPILOT_AUTH_PASSWORD', () => {
  it('accepts 12 to 128 printable characters, including symbols', () => {
    assert.equal(accepted('authPassword', 'c0rrect-h0rse:$"x'), 'c0rrect-h0rse:$"x');
  });
  it('refuses short, long and white-space passwords without showing them', () => {
    assert.match(
      refusedOnly('authPassword', 'pw5xq', ['pw5xq'])[0] ?? '',
      /<hidden, 5 characters> is too short/,
    );
    assert.match(refusedOnly('authPassword', 'p'.repeat(129), ['p'.repeat(129)])[0] ?? '', /too long/);
    assert.match(
      refusedOnly('authPassword', 'has a space inside', ['has a space inside'])[0] ?? '',
      /white space/,
    );
  });
});

describe('ONEAPP_COPILOT_TLS_DOMAIN', () => {
  it('accepts FQDNs, lower-cased, trailing dot removed', () => {
    assert.equal(accepted('tlsDomain', 'Copilot.Example.COM.'), 'copilot.example.com');
    assert.equal(accepted('tlsDomain', 'a-b.c1.example.org'), 'a-b.c1.example.org');
  });
  it('refuses IPs, single labels, wildcards, bad labels', () => {
    assert.match(refusedOnly('tlsDomain', '192.0.2.10')[0] ?? '', /is an IP address/);
    assert.match(refusedOnly('tlsDomain', '2001:db8::1')[0] ?? '', /is an IP address/);
    for (const bad of [
      'localhost',
      '*.example.com',
      '-bad.example.com',
      'under_score.example.com',
      'example.123',
    ]) {
      assert.match(refusedOnly('tlsDomain', bad)[0] ?? '', /not a fully qualified domain name/, bad);
    }
  });
});

describe('ONEAPP_COPILOT_TLS_EMAIL', () => {
  it('accepts an address', () => assert.equal(accepted('tlsEmail', 'ops@example.com'), 'ops@example.com'));
  it('refuses what is not one', () => {
    for (const bad of ['ops', 'ops@example', '@example.com', 'a b@example.com']) {
      assert.match(refusedOnly('tlsEmail', bad)[0] ?? '', /e-mail address/, bad);
    }
  });
});

describe('ONEAPP_COPILOT_TLS_CERT and ONEAPP_COPILOT_TLS_KEY', () => {
  const pki = makeTestPki();
  const cert = DECLARATIONS.tlsCertificate.name;
  const key = DECLARATIONS.tlsKey.name;
  it('accept a matching chain and key', () => {
    const result = load({ [cert]: base64(pki.leafPem + pki.caPem), [key]: base64(pki.leafKeyPem) });
    assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
    assert.equal(result.settings.tlsCertificate?.certificates.length, 2);
    assert.equal(result.settings.tlsKey?.asymmetricKeyType, 'ec');
  });
  it('refuse a key that does not belong to the certificate, without showing the key', () => {
    const result = load({ [cert]: base64(pki.leafPem), [key]: base64(pki.otherKeyPem) });
    assert.ok(!result.ok);
    assert.deepEqual(
      result.problems.map((p) => p.variable),
      [cert],
    );
    assert.match(result.problems[0]?.message ?? '', /does not match/);
    assert.ok(!JSON.stringify(result.problems).includes(base64(pki.otherKeyPem).slice(10, 40)));
  });
  it('refuse one without the other', () => {
    assert.match(refusedOnly('tlsCertificate', base64(pki.leafPem))[0] ?? '', /without its private key/);
    const result = load({ [key]: base64(pki.leafKeyPem) });
    assert.ok(!result.ok);
    assert.match(result.problems[0]?.message ?? '', /without a certificate/);
  });
  it('refuse an expired certificate', () => {
    const later = { now: new Date(Date.now() + 60 * 86_400_000) };
    const result = load({ [cert]: base64(pki.leafPem), [key]: base64(pki.leafKeyPem) }, later);
    assert.ok(!result.ok);
    assert.match(result.problems[0]?.message ?? '', /expired on/);
  });
  it('refuse a certificate not valid yet (more than an hour of clock skew)', () => {
    const earlier = { now: new Date(Date.now() - 3 * 3600_000) };
    const result = load({ [cert]: base64(pki.leafPem), [key]: base64(pki.leafKeyPem) }, earlier);
    assert.ok(!result.ok);
    assert.match(result.problems[0]?.message ?? '', /not valid before/);
    assert.ok(
      load(
        { [cert]: base64(pki.leafPem), [key]: base64(pki.leafKeyPem) },
        { now: new Date(Date.now() - 600_000) },
      ).ok,
    );
  });
  it('refuse a chain in the wrong order', () => {
    const result = load({ [cert]: base64(pki.caPem + pki.leafPem), [key]: base64(pki.leafKeyPem) });
    assert.ok(!result.ok);
    assert.ok(result.problems.some((p) => /leaf first/.test(p.message)));
  });
  it('refuse text that is not base64, or base64 of something else', () => {
    assert.match(refusedOnly('tlsCertificate', pki.leafPem)[0] ?? '', /not base64/);
    assert.match(refusedOnly('tlsCertificate', base64('hello'))[0] ?? '', /no "-----BEGIN CERTIFICATE-----"/);
    assert.match(refusedOnly('tlsKey', base64('hello'), ['hello'])[0] ?? '', /PRIVATE KEY/);
    const garbled = pki.leafKeyPem.replace(/\n[A-Za-z0-9+/]{10}/, '\n!!!!!!!!!!');
    assert.match(refusedOnly('tlsKey', base64(garbled))[0] ?? '', /cannot be read/);
  });
});

describe('ONEAPP_COPILOT_MODEL_CONTEXT', () => {
  it('accepts auto and integers in range', () => {
    assert.equal(accepted('modelContext', 'AUTO'), 'auto');
    assert.equal(accepted('modelContext', '32768'), 32768);
    assert.equal(accepted('modelContext', '262144'), 262144);
  });
  it('refuses words, decimals, negatives and out-of-range values', () => {
    for (const bad of ['big', '16k', '32768.5', '-1', '1024', '300000']) {
      assert.match(
        refusedOnly('modelContext', bad)[0] ?? '',
        /neither "auto" nor an integer from 4096 to 262144 tokens/,
        bad,
      );
    }
  });
});

describe('ONEAPP_COPILOT_MODEL_THREADS', () => {
  it('accepts auto and integers', () => {
    assert.equal(accepted('modelThreads', 'auto'), 'auto');
    assert.equal(accepted('modelThreads', '12'), 12);
  });
  it('refuses zero, negatives and words', () => {
    for (const bad of ['0', '-4', 'all', '513']) refusedOnly('modelThreads', bad);
  });
});

describe('ONEAPP_COPILOT_API_CORS_ORIGINS', () => {
  it('accepts * and lists of origins, normalised and de-duplicated', () => {
    assert.equal(accepted('apiCorsOrigins', ' * '), '*');
    assert.deepEqual(
      accepted('apiCorsOrigins', 'https://IDE.example.com, http://localhost:3000,https://ide.example.com'),
      ['https://ide.example.com', 'http://localhost:3000'],
    );
  });
  it('refuses paths, other schemes, bare hosts and a * inside a list', () => {
    const messages = refusedOnly(
      'apiCorsOrigins',
      'https://a.example.com/path, ftp://b.example.com, c.example.com, *',
    );
    assert.equal(messages.length, 4);
    for (const message of messages) assert.match(message, /not an origin/);
  });
});

describe('ONEAPP_COPILOT_API_TIMEOUT', () => {
  it('accepts seconds in range', () => assert.equal(accepted('apiTimeout', '3600'), 3600));
  it('refuses out-of-range values and units', () => {
    for (const bad of ['59', '86401', '30m', '1e3']) refusedOnly('apiTimeout', bad);
  });
});

describe('ONEAPP_COPILOT_API_STREAM_GRACE', () => {
  it('accepts seconds from 1 (tests) to 240', () => {
    assert.equal(accepted('apiStreamGrace', '1'), 1);
    assert.equal(accepted('apiStreamGrace', ' 240 '), 240);
  });
  it("refuses 0, values past the clients' 300 s header limit, and units", () => {
    for (const bad of ['0', '241', '300', '20s', '1.5', '-1']) {
      assert.match(refusedOnly('apiStreamGrace', bad)[0] ?? '', /from 1 to 240 seconds/, bad);
    }
  });
});

describe('ONEAPP_COPILOT_API_KEEPALIVE_INTERVAL', () => {
  it('accepts seconds from 1 to 120', () => {
    assert.equal(accepted('apiKeepAliveInterval', '1'), 1);
    assert.equal(accepted('apiKeepAliveInterval', '120'), 120);
  });
  it('refuses 0, long intervals and words', () => {
    for (const bad of ['0', '121', 'often', '15.0']) {
      assert.match(refusedOnly('apiKeepAliveInterval', bad)[0] ?? '', /from 1 to 120 seconds/, bad);
    }
  });
});

describe('ONEAPP_COPILOT_API_QUEUE_LIMIT', () => {
  it('accepts 0 (no waiting) to 1024', () => {
    assert.equal(accepted('apiQueueLimit', '0'), 0);
    assert.equal(accepted('apiQueueLimit', '1024'), 1024);
  });
  it('refuses negatives, huge values and words', () => {
    for (const bad of ['-1', '1025', 'many', '1e2']) {
      assert.match(refusedOnly('apiQueueLimit', bad)[0] ?? '', /from 0 to 1024 requests/, bad);
    }
  });
});

describe('ONEAPP_COPILOT_SERVICE_ROLE, _SECRET and _FRONT', () => {
  const SECRET = 'service-secret-0123456789abcdef0123456789';
  const FRONT = '10.0.0.5';
  it('accepts the three roles in any case', () => {
    assert.equal(accepted('role', 'Standalone'), 'standalone');
    assert.equal(accepted('role', 'standalone'), 'standalone');
    for (const role of ['front', 'worker'] as const) {
      const result = load({
        ONEAPP_COPILOT_SERVICE_ROLE: role.toUpperCase(),
        ONEAPP_COPILOT_SERVICE_SECRET: SECRET,
        ONEAPP_COPILOT_SERVICE_FRONT: FRONT,
      });
      assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
      assert.equal(result.settings.role, role);
      assert.equal(result.settings.serviceSecret, SECRET);
    }
  });
  it('refuses another role, listing the three', () => {
    const [message] = refusedOnly('role', 'router');
    assert.match(message ?? '', /"router" is not a role; expected standalone, front, worker/);
  });
  it('refuses a short or spaced secret without showing it', () => {
    const short = refusedOnly('serviceSecret', 'short-secret-value', ['short-secret-value']);
    assert.match(short.join(), /<hidden, 18 characters> is too short; expected 32 to 256 characters/);
    const spaced = refusedOnly('serviceSecret', `${SECRET} x`, [SECRET]);
    assert.match(spaced.join(), /white space/);
  });
  it('requires the secret for front and worker, naming the role, and not standalone', () => {
    for (const role of ['front', 'worker']) {
      const result = load({ ONEAPP_COPILOT_SERVICE_ROLE: role, ONEAPP_COPILOT_SERVICE_FRONT: FRONT });
      assert.ok(!result.ok);
      assert.deepEqual(
        result.problems.map((p) => p.variable),
        ['ONEAPP_COPILOT_SERVICE_SECRET'],
      );
      assert.match(result.problems[0]?.message ?? '', new RegExp(`ONEAPP_COPILOT_SERVICE_ROLE is ${role}`));
    }
    assert.ok(load({ ONEAPP_COPILOT_SERVICE_ROLE: 'standalone' }).ok);
  });
  it("requires a worker's front address with the template's substitution as the fix; refuses a non-address", () => {
    const missing = load({ ONEAPP_COPILOT_SERVICE_ROLE: 'worker', ONEAPP_COPILOT_SERVICE_SECRET: SECRET });
    assert.ok(!missing.ok);
    assert.deepEqual(
      missing.problems.map((p) => p.variable),
      ['ONEAPP_COPILOT_SERVICE_FRONT'],
    );
    assert.match(missing.problems[0]?.message ?? '', /\$\{front\.TEMPLATE\.CONTEXT\.ETH0_IP\}/);
    assert.ok(load({ ONEAPP_COPILOT_SERVICE_ROLE: 'front', ONEAPP_COPILOT_SERVICE_SECRET: SECRET }).ok);
    const [bad] = refusedOnly('frontAddress', '10.0.0.256');
    assert.match(bad ?? '', /"10\.0\.0\.256" is not an IPv4 address/);
  });
});

describe('loading as a whole', () => {
  it('reports five bad variables together, each by name, no secret shown', () => {
    const result = load({
      ONEAPP_COPILOT_AUTH_KEYS: 'alice:secretkey-short',
      ONEAPP_COPILOT_AUTH_PASSWORD: 'tiny-pw',
      ONEAPP_COPILOT_TLS_DOMAIN: '10.0.0.1',
      ONEAPP_COPILOT_MODEL_CONTEXT: 'lots',
      ONEAPP_COPILOT_API_TIMEOUT: '5',
    });
    assert.ok(!result.ok);
    assert.deepEqual([...new Set(result.problems.map((p) => p.variable))].sort(), [
      'ONEAPP_COPILOT_API_TIMEOUT',
      'ONEAPP_COPILOT_AUTH_KEYS',
      'ONEAPP_COPILOT_AUTH_PASSWORD',
      'ONEAPP_COPILOT_MODEL_CONTEXT',
      'ONEAPP_COPILOT_TLS_DOMAIN',
    ]);
    const text = JSON.stringify(result);
    assert.ok(!text.includes('secretkey-short') && !text.includes('tiny-pw'));
  });
  it('warns about unknown ONEAPP_COPILOT_ names, naming the closest known one', () => {
    const result = load({ ONEAPP_COPILOT_AUTH_KEY: KEY_A });
    assert.ok(result.ok);
    assert.deepEqual(result.warnings, [
      'ONEAPP_COPILOT_AUTH_KEY is not a variable SLM-Copilot knows and is ignored; did you mean ONEAPP_COPILOT_AUTH_KEYS?',
    ]);
    assert.ok(!result.warnings.join().includes(KEY_A));
  });
  it('declares every variable with a group in its name, a description and a user-input type', () => {
    for (const declaration of DECLARATION_LIST) {
      assert.match(declaration.name, /^ONEAPP_COPILOT_(AUTH|TLS|MODEL|API|SERVICE)_[A-Z_]+$/);
      assert.ok(declaration.description.endsWith('.'), declaration.name);
      assert.ok(declaration.default !== '' || declaration.defaultLabel, declaration.name);
    }
  });
});
