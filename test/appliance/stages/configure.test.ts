/**
 * configure's decisions, in this process through a recording host port: what it restarts, reloads, restores and
 * leaves alone. (test/appliance/lifecycle/ runs the stages the way the one-apps driver does.)
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ownersUnder } from '../../../src/appliance/apply/owners.ts';
import { configure } from '../../../src/appliance/stages/configure.ts';
import { type RecordedHost, recordedHost } from '../../support/hostPort.ts';
import { FIXTURE_HOSTS } from '../../support/hosts.ts';
import { newRoot } from '../../support/stages.ts';

const KEY_A = 'sk-alice-0123456789abcdef0123456789abcdef';
const KEY_B = 'sk-bob-00000000000000000000000000000000000';

/** configure with these context values; its exit code, the actions it took and what it logged. */
function configureWith(host: RecordedHost, context: Record<string, string>) {
  const from = host.actions.length;
  const lines: string[] = [];
  const code = configure({
    host,
    procDir: `${FIXTURE_HOSTS}epyc-passthrough-smt-32g`,
    contextValues: new Map(Object.entries(context)),
    env: {},
    owners: ownersUnder(host.root),
    now: () => new Date(),
    log: (level, message) => void lines.push(`${level}: ${message}`),
  });
  return { code, actions: host.actions.slice(from), log: lines.join('\n') };
}

const read = (root: string, path: string) => readFileSync(join(root, path), 'utf8');

describe('configure decides what to restart and reload (recording host port)', () => {
  it('the first boot checks nginx and reloads systemd; the same context again does nothing at all', () => {
    const host = recordedHost(newRoot());
    const first = configureWith(host, {});
    assert.equal(first.code, 0, first.log);
    assert.deepEqual(first.actions.slice(0, 2), ['nginx -t', 'systemctl daemon-reload']);
    const second = configureWith(host, {});
    assert.equal(second.code, 0, second.log);
    assert.deepEqual(second.actions, []);
    assert.match(second.log, /configure: nothing changed/);
  });

  it('a key change checks and reloads nginx only; LocalAI and the relay keep running', () => {
    const host = recordedHost(newRoot());
    assert.equal(configureWith(host, { ONEAPP_COPILOT_AUTH_KEYS: `alice:${KEY_A}` }).code, 0);
    const change = configureWith(host, { ONEAPP_COPILOT_AUTH_KEYS: `bob:${KEY_B}` });
    assert.equal(change.code, 0, change.log);
    assert.deepEqual(change.actions, ['nginx -t', 'systemctl try-reload-or-restart nginx.service']);
  });

  it('a LocalAI change restarts LocalAI, and only what reads the changed files; nginx is not touched', () => {
    const host = recordedHost(newRoot());
    assert.equal(configureWith(host, {}).code, 0);
    const change = configureWith(host, { ONEAPP_COPILOT_MODEL_THREADS: '4' });
    assert.equal(change.code, 0, change.log);
    assert.deepEqual(change.actions, ['systemctl try-restart local-ai.service']);
  });

  it('nginx -t failing restores the previous files, restarts nothing and reports the error', () => {
    let nginxFails = false;
    const root = newRoot();
    const host = recordedHost(root, () => (nginxFails ? 'nginx: [emerg] invalid parameter "x"' : null));
    assert.equal(configureWith(host, { ONEAPP_COPILOT_AUTH_KEYS: `alice:${KEY_A}` }).code, 0);
    const files = [
      'etc/slm-copilot/nginx/api-keys.map',
      'etc/nginx/nginx.conf',
      'etc/slm-copilot/nginx/slm-copilot.conf',
    ];
    const before = files.map((path) => read(root, path));
    nginxFails = true;
    const change = configureWith(host, { ONEAPP_COPILOT_AUTH_KEYS: `bob:${KEY_B}` });
    assert.equal(change.code, 1);
    assert.deepEqual(change.actions, ['nginx -t']);
    assert.deepEqual(
      files.map((path) => read(root, path)),
      before,
    );
    assert.match(
      read(root, 'etc/one-appliance/config'),
      /^error\.\d = nginx: nginx: \[emerg\] invalid parameter "x"; the previous configuration was restored\.$/m,
    );
  });

  it('a refused context changes no file and takes no action', () => {
    const root = newRoot();
    const host = recordedHost(root);
    assert.equal(configureWith(host, {}).code, 0);
    const before = read(root, 'etc/slm-copilot/local-ai.env');
    const refused = configureWith(host, { ONEAPP_COPILOT_MODEL_CONTEXT: 'huge' });
    assert.equal(refused.code, 2);
    assert.deepEqual(refused.actions, []);
    assert.equal(read(root, 'etc/slm-copilot/local-ai.env'), before);
    assert.match(refused.log, /ONEAPP_COPILOT_MODEL_CONTEXT: /);
  });
});
