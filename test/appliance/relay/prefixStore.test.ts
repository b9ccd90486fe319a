/** The prefix store on disk: 0600, atomic, read back; corrupt, foreign-owned or readable stores discarded. */
import assert from 'node:assert/strict';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { extractPrefix, recordUse } from '../../../src/appliance/relay/prefixes.ts';
import { deletePrefixes, loadPrefixes, savePrefixes } from '../../../src/appliance/relay/prefixStore.ts';

const SECRET_PROMPT = 'You are Cline. Workspace: /home/dev/secret-project.';
const prefix = extractPrefix(
  Buffer.from(
    JSON.stringify({
      model: 'devstral-small-2',
      messages: [
        { role: 'system', content: SECRET_PROMPT },
        { role: 'user', content: 'hi' },
      ],
    }),
  ),
);
assert.ok(prefix !== null);
const ENTRIES = recordUse([], prefix, 'alice', 1_700_000_000_000);

function store() {
  const dir = mkdtempSync(join(tmpdir(), 'prefix-store-'));
  const logs: string[] = [];
  return { dir, path: join(dir, 'prefixes.json'), logs, log: (line: string) => logs.push(line) };
}

describe('prefix store', () => {
  it('writes 0600 through a temporary file and reads the same entries back; no store is an empty one', () => {
    const s = store();
    assert.deepEqual(loadPrefixes(s), []);
    savePrefixes(s.path, ENTRIES);
    assert.equal(statSync(s.path).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(s.dir), ['prefixes.json'], 'no temporary file left behind');
    assert.deepEqual(loadPrefixes(s), ENTRIES);
    assert.deepEqual(s.logs, []);
    deletePrefixes(s.path);
    assert.equal(existsSync(s.path), false);
  });
  it('a corrupt store is discarded (deleted) with one log line that holds no content', () => {
    const s = store();
    writeFileSync(s.path, `{"version":1,"entries":[{"key":"alice","request":"${SECRET_PROMPT}"`, {
      mode: 0o600,
    });
    assert.deepEqual(loadPrefixes(s), []);
    assert.equal(existsSync(s.path), false);
    assert.equal(s.logs.length, 1);
    assert.match(s.logs[0] ?? '', /is not a valid store; discarded, not trusted/);
    assert.ok(!s.logs[0]?.includes('secret-project'));
  });
  it('a store owned by another user is discarded, never trusted', () => {
    const s = store();
    savePrefixes(s.path, ENTRIES);
    const uid = statSync(s.path).uid + 1;
    assert.deepEqual(loadPrefixes({ ...s, uid }), []);
    assert.equal(existsSync(s.path), false);
    assert.match(s.logs[0] ?? '', /is owned by uid \d+, not \d+; discarded/);
  });
  it('a store others can read, or a symlink, is discarded', () => {
    const s = store();
    savePrefixes(s.path, ENTRIES);
    chmodSync(s.path, 0o644);
    assert.deepEqual(loadPrefixes(s), []);
    assert.match(s.logs[0] ?? '', /has mode 644, not 600/);
    const target = join(s.dir, 'elsewhere.json');
    savePrefixes(target, ENTRIES);
    symlinkSync(target, s.path);
    assert.deepEqual(loadPrefixes(s), []);
    assert.match(s.logs[1] ?? '', /is not a regular file/);
    assert.equal(existsSync(target), true, 'the link is removed, not what it points to');
  });
});
