import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ownersUnder, parseIdFile } from '../../../src/appliance/apply/owners.ts';

describe('owners under a root', () => {
  it('parses passwd and group lines, skipping malformed ones', () => {
    assert.deepEqual(
      [...parseIdFile('root:x:0:0::/root:/bin/sh\nbroken\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\n')],
      [
        ['root', 0],
        ['www-data', 33],
      ],
    );
  });
  it('finds users created after the resolver was made (install creates them), and names a missing one', () => {
    const root = mkdtempSync(join(tmpdir(), 'slm-owners-'));
    mkdirSync(join(root, 'etc'));
    writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\n');
    writeFileSync(join(root, 'etc/group'), 'root:x:0:\n');
    const owners = ownersUnder(root);
    assert.throws(
      () => owners.uid('local-ai'),
      /"local-ai" is not in .*\/etc\/passwd; the install stage creates/,
    );
    appendFileSync(join(root, 'etc/passwd'), 'local-ai:x:990:990::/var/lib/local-ai:/usr/sbin/nologin\n');
    appendFileSync(join(root, 'etc/group'), 'local-ai:x:990:\n');
    assert.equal(owners.uid('local-ai'), 990);
    assert.equal(owners.gid('local-ai'), 990);
  });
});
