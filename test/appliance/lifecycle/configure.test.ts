import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseIdFile } from '../../../src/appliance/apply/owners.ts';
import { newRoot, runStageHere } from '../../support/stages.ts';

const KEY_A = 'sk-alice-0123456789abcdef0123456789abcdef';
const KEY_B = 'sk-bob-00000000000000000000000000000000000';
const read = (root: string, path: string) => readFileSync(join(root, path), 'utf8');
const servicesLog = (root: string) => {
  try {
    return read(root, 'services.log');
  } catch {
    return '';
  }
};

describe('configure against a root prefix (umask 0077)', () => {
  it('a second boot with the same context writes nothing and restarts nothing', async () => {
    const root = newRoot();
    const first = await runStageHere(root, 'configure', []);
    assert.equal(first.status, 0, first.stderr);
    const firstLog = servicesLog(root);
    assert.match(firstLog, /^nginx -t$/m);
    assert.match(firstLog, /^systemctl daemon-reload$/m);
    const before = read(root, 'etc/slm-copilot/local-ai.env');
    const second = await runStageHere(root, 'configure', []);
    assert.equal(second.status, 0, second.stderr);
    assert.equal(servicesLog(root), firstLog, 'no service action on the second boot');
    assert.match(second.stdout, /configure: nothing changed/);
    assert.equal(read(root, 'etc/slm-copilot/local-ai.env'), before);
  });

  it('a new key works after the boot and the old one is gone everywhere; only nginx reloads', async () => {
    const root = newRoot();
    assert.equal(
      (await runStageHere(root, 'configure', [`ONEAPP_COPILOT_AUTH_KEYS='alice:${KEY_A}'`])).status,
      0,
    );
    const logBefore = servicesLog(root);
    const relayJson = read(root, 'etc/slm-copilot/relay.json');
    const run = await runStageHere(root, 'configure', [`ONEAPP_COPILOT_AUTH_KEYS='bob:${KEY_B}'`]);
    assert.equal(run.status, 0, run.stderr);
    const added = servicesLog(root).slice(logBefore.length);
    assert.equal(
      added,
      'nginx -t\nsystemctl try-reload-or-restart nginx.service\n',
      'nginx reloads; the relay (streams in flight) and LocalAI are not restarted',
    );
    assert.equal(read(root, 'etc/slm-copilot/relay.json'), relayJson, 'relay.json is unchanged');
    assert.deepEqual(JSON.parse(read(root, 'etc/slm-copilot/relay-key-names.json')).keyNames, [
      'bob',
      'user:copilot',
    ]);
    for (const path of ['etc/slm-copilot/nginx/api-keys.map', 'etc/one-appliance/config']) {
      assert.ok(read(root, path).includes(KEY_B), path);
      assert.ok(!read(root, path).includes(KEY_A), `${path} still holds the removed key`);
    }
  });

  it('a bad context exits non-zero, names every bad variable in the report, leaves nginx and LocalAI files byte-identical', async () => {
    const root = newRoot();
    assert.equal((await runStageHere(root, 'configure', [])).status, 0);
    const files = [
      'etc/nginx/nginx.conf',
      'etc/slm-copilot/nginx/slm-copilot.conf',
      'etc/slm-copilot/nginx/api-keys.map',
      'etc/slm-copilot/local-ai.env',
      'var/lib/local-ai/models/devstral-small-2.yaml',
    ];
    const snapshot = files.map((path) => read(root, path));
    const logBefore = servicesLog(root);
    const run = await runStageHere(root, 'configure', [
      "ONEAPP_COPILOT_AUTH_PASSWORD='pw'",
      "ONEAPP_COPILOT_MODEL_CONTEXT='huge'",
      "ONEAPP_COPILOT_TLS_DOMAIN='10.0.0.1'",
    ]);
    assert.equal(run.status, 2);
    assert.deepEqual(
      files.map((path) => read(root, path)),
      snapshot,
    );
    assert.equal(servicesLog(root), logBefore);
    const report = read(root, 'etc/one-appliance/config');
    assert.match(report, /^\[Configure errors\]$/m);
    for (const name of [
      'ONEAPP_COPILOT_AUTH_PASSWORD',
      'ONEAPP_COPILOT_MODEL_CONTEXT',
      'ONEAPP_COPILOT_TLS_DOMAIN',
    ]) {
      assert.match(report, new RegExp(`^error\\.\\d = ${name}: `, 'm'));
      assert.match(run.stderr, new RegExp(name));
    }
    assert.match(report, /^\[Cline\]$/m, 'the last good connection details stay in the report');
    const fixed = await runStageHere(root, 'configure', []);
    assert.equal(fixed.status, 0);
    assert.doesNotMatch(read(root, 'etc/one-appliance/config'), /Configure errors/);
  });

  it('a generated key and password survive boots and context changes that do not touch them', async () => {
    const root = newRoot();
    await runStageHere(root, 'configure', []);
    const secrets = read(root, 'var/lib/slm-copilot/secrets.json');
    const htpasswd = read(root, 'etc/slm-copilot/nginx/htpasswd');
    await runStageHere(root, 'configure', ["ONEAPP_COPILOT_API_TIMEOUT='900'"]);
    await runStageHere(root, 'configure', []);
    assert.equal(read(root, 'var/lib/slm-copilot/secrets.json'), secrets);
    assert.equal(read(root, 'etc/slm-copilot/nginx/htpasswd'), htpasswd);
    const { generatedPassword, generatedKey } = JSON.parse(secrets);
    assert.match(generatedKey, /^sk-[0-9a-f]{48}$/);
    assert.ok(read(root, 'etc/one-appliance/config').includes(`password = ${generatedPassword}`));
  });

  it('under umask 0077 the files each daemon reads have its group and the right modes', async () => {
    const root = newRoot();
    assert.equal((await runStageHere(root, 'configure', [])).status, 0);
    const groups = parseIdFile(read(root, 'etc/group'));
    const check = (path: string, mode: number, group: string) => {
      const stats = statSync(join(root, path));
      assert.equal((stats.mode & 0o7777).toString(8), mode.toString(8), path);
      assert.equal(stats.uid, 0, path);
      assert.equal(stats.gid, groups.get(group), `${path} group ${group}`);
    };
    check('etc/slm-copilot/local-ai.env', 0o640, 'local-ai');
    check('var/lib/local-ai/models/devstral-small-2.yaml', 0o644, 'local-ai');
    check('etc/slm-copilot/relay.json', 0o640, 'slm-copilot');
    check('etc/slm-copilot/relay-key-names.json', 0o640, 'slm-copilot');
    check('etc/slm-copilot/local-ai.key', 0o640, 'slm-copilot');
    check('etc/slm-copilot/nginx/htpasswd', 0o640, 'www-data');
    check('etc/slm-copilot/nginx', 0o750, 'www-data');
    check('etc/slm-copilot/nginx/api-keys.map', 0o600, 'root');
    check('etc/one-appliance/config', 0o600, 'root');
    check('var/lib/slm-copilot', 0o711, 'root');
    check('var/lib/slm-copilot/tls/ca-public.pem', 0o644, 'root');
    check('var/lib/slm-copilot/tls/server.key', 0o600, 'root');
    check('etc/nginx/nginx.conf', 0o644, 'root');
  });

  it('the report has every field; no secret in the banner or in the stage output', async () => {
    const root = newRoot();
    const run = await runStageHere(root, 'configure', [
      `ONEAPP_COPILOT_AUTH_KEYS='alice:${KEY_A}'`,
      "ONEAPP_COPILOT_AUTH_PASSWORD='a-fine-password-42'",
    ]);
    const report = read(root, 'etc/one-appliance/config');
    for (const field of [
      /^endpoint = https:\/\//m,
      /^base_url = https:\/\/.+\/v1$/m,
      /^api_provider = OpenAI Compatible$/m,
      /^api_key = sk-alice-/m,
      /^model_id = devstral-small-2$/m,
      /^context_window_size = 32768$/m,
      /^supports_images = off/m,
      /^user = copilot$/m,
      /^password = a-fine-password-42$/m,
      /^ca_fingerprint_sha256 = ([0-9A-F]{2}:){31}[0-9A-F]{2}$/m,
      /^ca_url = https:\/\/.+\/ca\.pem$/m,
      /NODE_EXTRA_CA_CERTS/,
      /^threads = 8$/m,
      /^memory_budget = /m,
      /^cpu_flags = /m,
      /^curl = curl --cacert/m,
      /^\[Outbound connections\]$/m,
    ]) {
      assert.match(report, field);
    }
    const banner = read(root, 'etc/profile.d/slm-copilot-banner.sh');
    for (const text of [banner, run.stdout, run.stderr]) {
      assert.ok(!text.includes(KEY_A) && !text.includes('a-fine-password-42'));
    }
    assert.match(banner, /\/etc\/one-appliance\/config/);
  });
});
