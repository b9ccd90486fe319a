/**
 * configure per OneFlow role, through the recording host port: a front runs nginx and the router but no model (a
 * small VM is not refused), a worker serves its front only and publishes to OneGate, a role change stops what the
 * new role does not run, and a role that cannot be wired is refused by name with nothing changed.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ownersUnder } from '../../../src/appliance/apply/owners.ts';
import { configure } from '../../../src/appliance/stages/configure.ts';
import { type RecordedHost, recordedHost } from '../../support/hostPort.ts';
import { FIXTURE_HOSTS } from '../../support/hosts.ts';
import { newRoot } from '../../support/stages.ts';

const SECRET = 'service-secret-0123456789abcdef0123456789';
const ONEGATE = { ONEGATE_ENDPOINT: 'http://10.0.0.1:5030', VMID: '7', TOKENTXT: 'onegate-token-of-vm-7' };
const FRONT = { ONEAPP_COPILOT_SERVICE_ROLE: 'front', ONEAPP_COPILOT_SERVICE_SECRET: SECRET };
const WORKER = {
  ONEAPP_COPILOT_SERVICE_ROLE: 'worker',
  ONEAPP_COPILOT_SERVICE_SECRET: SECRET,
  ONEAPP_COPILOT_SERVICE_FRONT: '10.0.0.5',
};

function configureWith(
  host: RecordedHost,
  context: Record<string, string>,
  env: NodeJS.ProcessEnv = ONEGATE,
  hostFixture = 'epyc-passthrough-smt-32g',
) {
  const from = host.actions.length;
  const lines: string[] = [];
  const code = configure({
    host,
    procDir: `${FIXTURE_HOSTS}${hostFixture}`,
    contextValues: new Map(Object.entries(context)),
    env,
    owners: ownersUnder(host.root),
    now: () => new Date(),
    log: (level, message) => void lines.push(`${level}: ${message}`),
  });
  return { code, actions: host.actions.slice(from), log: lines.join('\n') };
}

const read = (root: string, path: string) => readFileSync(join(root, path), 'utf8');
const mode = (root: string, path: string) => (statSync(join(root, path)).mode & 0o777).toString(8);

describe('configure per OneFlow role (recording host port)', () => {
  it('a front on an 8 GB VM: nginx and the router, no LocalAI or relay; token and secret for the router only', () => {
    const host = recordedHost(newRoot());
    const run = configureWith(host, FRONT, ONEGATE, 'xeon-small-8g');
    assert.equal(run.code, 0, run.log);
    assert.match(run.log, /OneFlow front, no model on this VM/);
    const root = host.root;
    assert.ok(!existsSync(join(root, 'etc/systemd/system/local-ai.service')));
    assert.ok(!existsSync(join(root, 'etc/slm-copilot/relay.json')));
    assert.match(
      read(root, 'etc/systemd/system/slm-copilot-router.service'),
      /router --config \/etc\/slm-copilot\/router.json/,
    );
    const config = JSON.parse(read(root, 'etc/slm-copilot/router.json'));
    assert.deepEqual(config.oneGate, {
      endpoint: 'http://10.0.0.1:5030',
      vmId: '7',
      tokenFile: '/etc/slm-copilot/onegate.token',
    });
    assert.equal(config.listen.port, 8081);
    assert.doesNotMatch(read(root, 'etc/slm-copilot/router.json'), /onegate-token|service-secret/);
    assert.equal(read(root, 'etc/slm-copilot/onegate.token'), 'onegate-token-of-vm-7\n');
    assert.equal(mode(root, 'etc/slm-copilot/onegate.token'), '640');
    assert.equal(read(root, 'etc/slm-copilot/service.secret'), `${SECRET}\n`);
    assert.equal(mode(root, 'etc/slm-copilot/service.secret'), '640');
    // The client site is the one-VM site: keys, Basic auth, CORS.
    assert.match(read(root, 'etc/slm-copilot/nginx/slm-copilot.conf'), /auth_basic/);
    const report = read(root, 'etc/one-appliance/config');
    assert.match(report, /\[OneFlow service\]\nrole = front/);
    assert.match(report, /\[Cline\]/);
    assert.doesNotMatch(report, /\[Sizing\]/);
    assert.match(report, /one shared key pins everyone to one worker/);
  });

  it("a worker: the worker site (front's address, secret; root:www-data 0640) and the relay publishing to OneGate", () => {
    const host = recordedHost(newRoot());
    const run = configureWith(host, { ...WORKER, ONEAPP_COPILOT_API_TIMEOUT: '600' });
    assert.equal(run.code, 0, run.log);
    const root = host.root;
    const site = read(root, 'etc/slm-copilot/nginx/slm-copilot.conf');
    assert.match(site, /allow 10\.0\.0\.5;\n\s*deny all;/);
    assert.match(site, /listen 0\.0\.0\.0:443 ssl;/);
    assert.doesNotMatch(site, /auth_basic/);
    assert.equal(mode(root, 'etc/slm-copilot/nginx/slm-copilot.conf'), '640');
    const relay = JSON.parse(read(root, 'etc/slm-copilot/relay.json'));
    assert.deepEqual(relay.worker, {
      oneGate: { endpoint: 'http://10.0.0.1:5030', vmId: '7', tokenFile: '/etc/slm-copilot/onegate.token' },
      publishPeriodMs: 90_000,
    });
    assert.equal(relay.warmup, undefined);
    const relayUnit = read(root, 'etc/systemd/system/slm-copilot-relay.service');
    assert.match(relayUnit, /IPAddressAllow=any/);
    // Stopped, it drains its streams (up to the API timeout) before nginx stops.
    assert.match(relayUnit, /^TimeoutStopSec=610$/m);
    assert.match(relayUnit, /^After=network\.target local-ai\.service nginx\.service$/m);
    assert.ok(existsSync(join(root, 'etc/systemd/system/local-ai.service')));
    assert.ok(!existsSync(join(root, 'etc/systemd/system/slm-copilot-router.service')));
    const report = read(root, 'etc/one-appliance/config');
    assert.match(report, /serves = only the front at 10\.0\.0\.5/);
    assert.doesNotMatch(report, /\[Cline\]|\[API keys\]|\[Basic auth\]/);
  });

  it('standalone → front: LocalAI and the relay stop and are disabled, the router (re)starts; again: nothing', () => {
    const host = recordedHost(newRoot());
    assert.equal(configureWith(host, {}).code, 0);
    host.services.start('local-ai.service');
    host.services.start('slm-copilot-relay.service');
    const change = configureWith(host, FRONT);
    assert.equal(change.code, 0, change.log);
    // The client site and keys are the same as standalone's: nginx is neither checked nor reloaded.
    assert.deepEqual(change.actions, [
      'systemctl disable --now local-ai.service',
      'systemctl disable --now slm-copilot-relay.service',
      'systemctl daemon-reload',
      'systemctl try-restart slm-copilot-router.service',
    ]);
    assert.deepEqual(configureWith(host, FRONT).actions, []);
  });

  it('refuses a front or worker without OneGate access by name (TOKEN), changing nothing', () => {
    for (const context of [FRONT, WORKER]) {
      const host = recordedHost(newRoot());
      assert.equal(configureWith(host, {}).code, 0);
      const site = read(host.root, 'etc/slm-copilot/nginx/slm-copilot.conf');
      const run = configureWith(host, context, {});
      assert.equal(run.code, 2, run.log);
      assert.match(run.log, /TOKEN: this VM has no OneGate access .* Set TOKEN = "YES"/);
      assert.deepEqual(run.actions, []);
      assert.equal(read(host.root, 'etc/slm-copilot/nginx/slm-copilot.conf'), site);
      assert.ok(!existsSync(join(host.root, 'etc/slm-copilot/router.json')));
    }
  });
});
