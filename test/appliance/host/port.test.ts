import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { hostAt, machineHost } from '../../../src/appliance/host/port.ts';
import { APPLIANCE_USERS } from '../../../src/appliance/host/users.ts';

describe('the host port', () => {
  it("is the machine on '/' and a recording stand-in under any other root", () => {
    assert.equal(hostAt('/'), machineHost);
    assert.equal(machineHost.target.systemModules, true);
    const root = mkdtempSync(join(tmpdir(), 'slm-port-'));
    const host = hostAt(root);
    assert.equal(host.root, root);
    assert.equal(host.target.root, root);
    assert.equal(host.target.systemModules, false);
  });

  it('under a root: packages, programs and service actions are recorded, users written to ROOT/etc', async () => {
    const root = mkdtempSync(join(tmpdir(), 'slm-port-'));
    const host = hostAt(root);
    host.installPackages(['nginx', 'curl'], {});
    const ran = host.run(
      { command: '/opt/local-ai', args: ['backends'], env: {}, cwd: '/', text: 'local-ai backends' },
      {},
    );
    assert.equal(ran, false);
    host.services.mask('apt-daily.timer');
    assert.equal(
      readFileSync(join(root, 'services.log'), 'utf8'),
      'apt-get install -y --no-install-recommends nginx curl\nlocal-ai backends\nsystemctl mask apt-daily.timer\n',
    );
    assert.deepEqual(
      host.addUsers(APPLIANCE_USERS),
      APPLIANCE_USERS.map((user) => user.name),
    );
    assert.deepEqual(host.addUsers(APPLIANCE_USERS), []);
    assert.match(
      readFileSync(join(root, 'etc/passwd'), 'utf8'),
      /^local-ai:x:\d+:\d+:LocalAI inference server:/m,
    );
    assert.equal(await host.observer.relayHealth(), null);
    assert.deepEqual(host.observer.unit('nginx.service'), { show: null, journal: null });
    assert.deepEqual(host.observer.contextEnvironment({ A: 'b' }), {});
    assert.equal(host.observer.addresses(['192.0.2.1']), null);
  });
});
