import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { REQUEST_BODY_LIMIT_MIB } from '../../../src/core/facts/model.ts';
import { APPLIANCE_TARGET } from '../../../src/core/facts/target.ts';
import { verifySha512Crypt } from '../../../src/core/lib/sha512Crypt.ts';
import { computePlan, type Plan } from '../../../src/core/plan/plan.ts';
import { renderApiKeyMap } from '../../../src/core/render/nginxAuth.ts';
import { renderNginxSite, UPSTREAM_KEEPALIVE_SECONDS } from '../../../src/core/render/nginxSite.ts';
import { assertGolden } from '../../support/golden.ts';
import { fixtureHost } from '../../support/hosts.ts';
import { settingsFrom, TEST_SECRETS } from '../../support/settings.ts';

function planWith(values: Record<string, string> = {}): Plan {
  const result = computePlan({
    settings: settingsFrom(values),
    host: fixtureHost('epyc-passthrough-smt-32g'),
    secrets: TEST_SECRETS,
    version: '0.0.0-test',
    tls: null,
  });
  assert.ok(result.ok);
  return result.plan;
}
const content = (plan: Plan, path: string) =>
  plan.files.find((file) => file.path === path)?.content ?? assert.fail(path);
const SITE = '/etc/slm-copilot/nginx/slm-copilot.conf';

/** location blocks: name → body (the site has no nested braces except `if` and `types`, handled by depth). */
function locations(site: string): Map<string, string> {
  const result = new Map<string, string>();
  const pattern = /^ {4}location ([^{]+)\{/gm;
  for (const match of site.matchAll(pattern)) {
    let depth = 1;
    let index = (match.index ?? 0) + match[0].length;
    const start = index;
    while (depth > 0) {
      if (site[index] === '{') depth++;
      if (site[index] === '}') depth--;
      index++;
    }
    result.set((match[1] as string).trim(), site.slice(start, index - 1));
  }
  return result;
}

describe('nginx site', () => {
  const plan = planWith();
  const site = content(plan, SITE);

  it('matches golden/slm-copilot.conf and golden/nginx.conf (appliance target, defaults)', () => {
    assertGolden(new URL('./golden/slm-copilot.conf', import.meta.url), site);
    assertGolden(new URL('./golden/nginx.conf', import.meta.url), content(plan, '/etc/nginx/nginx.conf'));
  });

  it('listens on IPv4 and IPv6 with `ssl http2` (nginx 1.22/1.24 syntax), TLS 1.2 and 1.3 only', () => {
    assert.match(site, /^ {4}listen 443 ssl http2;$/m);
    assert.match(site, /^ {4}listen \[::\]:443 ssl http2;$/m);
    assert.doesNotMatch(site, /http2 on;/);
    assert.match(site, /^ {4}ssl_protocols TLSv1\.2 TLSv1\.3;$/m);
  });

  it('never intercepts upstream errors, never buffers or compresses the stream', () => {
    assert.doesNotMatch(site, /proxy_intercept_errors/);
    assert.match(site, /proxy_buffering off;/);
    assert.match(content(plan, '/etc/nginx/nginx.conf'), /gzip off;/);
  });

  it('reads for the API timeout plus 60 s', () => {
    assert.match(site, /proxy_read_timeout 1860s;/);
    assert.match(content(planWith({ ONEAPP_COPILOT_API_TIMEOUT: '600' }), SITE), /proxy_read_timeout 660s;/);
  });

  it('limits bodies with the same constant as LocalAI (LOCALAI_UPLOAD_LIMIT)', () => {
    const nginxLimit = Number(/client_max_body_size (\d+)m;/.exec(site)?.[1]);
    const env = content(plan, '/etc/slm-copilot/local-ai.env');
    const localaiLimit = Number(/^LOCALAI_UPLOAD_LIMIT=(\d+)$/m.exec(env)?.[1]);
    assert.equal(nginxLimit, REQUEST_BODY_LIMIT_MIB);
    assert.equal(localaiLimit, nginxLimit);
  });

  it('keeps upstream connections alive for less time than the relay does', () => {
    assert.match(site, new RegExp(`keepalive_timeout ${UPSTREAM_KEEPALIVE_SECONDS}s;`));
  });

  it('allows exactly the API, /metrics, /health and /ca.pem; everything else is the 404 catch-all', () => {
    const https = locations(site.slice(site.indexOf('ssl http2')));
    assert.deepEqual(
      [...https.keys()].filter((name) => !name.startsWith('@')),
      [
        '= /v1/chat/completions',
        '= /v1/completions',
        '= /v1/models',
        '= /metrics',
        '= /health',
        '= /ca.pem',
        '= /slm-copilot.mjs',
        '/',
      ],
    );
    assert.match(https.get('/') ?? '', /return 404 '\{"error"/);
    for (const [name, body] of https) {
      if (body.includes('proxy_pass'))
        assert.ok(
          ['= /v1/chat/completions', '= /v1/completions', '= /v1/models', '= /metrics', '= /health'].includes(
            name,
          ),
          name,
        );
    }
  });

  it('puts the CORS headers, with `always`, in every HTTPS location (add_header is not inherited)', () => {
    const https = site.slice(site.indexOf('ssl http2'));
    for (const [name, body] of locations(https)) {
      assert.match(body, /add_header Access-Control-Allow-Origin "\*" always;/, name);
      for (const line of body.split('\n').filter((l) => l.includes('add_header')))
        assert.match(line, / always;$/, `${name}: ${line}`);
    }
  });

  it('asks for auth on the API locations, answers preflight before it, and passes no credentials upstream', () => {
    for (const name of ['= /v1/chat/completions', '= /v1/completions', '= /v1/models', '= /metrics']) {
      const body = locations(site).get(name) ?? '';
      assert.ok(body.indexOf('OPTIONS') < body.indexOf('auth_basic'), name);
      assert.match(body, /auth_basic \$slm_auth_realm;/);
    }
    assert.match(site, /proxy_set_header Authorization "";/);
    assert.match(site, /proxy_set_header X-SLM-Key-Name \$slm_principal;/);
  });

  it('echoes only listed origins when ONEAPP_COPILOT_API_CORS_ORIGINS is a list', () => {
    const listed = content(
      planWith({ ONEAPP_COPILOT_API_CORS_ORIGINS: 'https://a.example.com,http://localhost:3000' }),
      SITE,
    );
    assert.match(
      listed,
      /map \$http_origin \$slm_cors_origin \{\n {4}default "";\n {4}"https:\/\/a\.example\.com" \$http_origin;\n {4}"http:\/\/localhost:3000" \$http_origin;\n\}/,
    );
    assert.match(listed, /add_header Access-Control-Allow-Origin "\$slm_cors_origin" always;/);
    assert.match(listed, /add_header Vary Origin always;/);
  });

  it('serves the ACME webroot on port 80 only with a domain and no operator certificate', () => {
    assert.doesNotMatch(site, /acme-challenge/);
    assert.match(
      content(planWith({ ONEAPP_COPILOT_TLS_DOMAIN: 'copilot.example.com' }), SITE),
      /location \^~ \/\.well-known\/acme-challenge\/ \{\n {8}root \/var\/lib\/slm-copilot\/acme;/,
    );
  });

  it('a sandbox target puts every path under its root and drops the user and daemon lines', () => {
    const sandbox = renderNginxSite({
      target: {
        ...APPLIANCE_TARGET,
        root: '/tmp/box',
        httpsListen: ['127.0.0.1:9443'],
        httpListen: [],
        httpsPort: 9443,
        nginxUser: null,
        daemon: false,
      },
      corsOrigins: '*',
      timeoutSeconds: 60,
      acmeDomain: null,
      authRealm: 'SLM-Copilot',
    });
    for (const [, path] of sandbox.matchAll(/ (\/[a-z][^\s;]*);/g)) {
      if (
        !path?.startsWith('/v1') &&
        !['/metrics', '/health', '/ca.pem', '/slm-copilot.mjs'].includes(path ?? '')
      )
        assert.ok(path?.startsWith('/tmp/box/'), path);
    }
    assert.doesNotMatch(sandbox, /listen 80/);
  });
});

describe('nginx auth files', () => {
  it('the key map has one line per key, naming it', () => {
    assert.equal(
      renderApiKeyMap([
        { name: 'alice', key: 'sk-a' },
        { name: 'key2', key: 'sk-b' },
      ]),
      '"Bearer sk-a" "alice";\n"Bearer sk-b" "key2";\n',
    );
  });
  it('htpasswd holds a SHA-512 crypt hash that verifies the password, stable for a stable salt', () => {
    const plan = planWith();
    const line = content(plan, '/etc/slm-copilot/nginx/htpasswd').trim();
    const [user, hash] = line.split(':');
    assert.equal(user, 'copilot');
    assert.match(hash ?? '', /^\$6\$rounds=1000\$testsalt\$/);
    assert.ok(verifySha512Crypt(TEST_SECRETS.password, hash ?? ''));
    assert.equal(content(planWith(), '/etc/slm-copilot/nginx/htpasswd').trim(), line);
    const file = plan.files.find((f) => f.path.endsWith('htpasswd'));
    assert.equal(file?.mode, 0o640);
    assert.equal(file?.group, 'www-data');
  });
});
