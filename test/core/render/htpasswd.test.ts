import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { HTPASSWD_ROUNDS, verifySha512Crypt } from '../../../src/core/lib/sha512Crypt.ts';
import { htpasswdFile, htpasswdLine, resolveHtpasswdSalt } from '../../../src/core/render/htpasswd.ts';

const SALT = 'Qw3rTyUi0pAsDfGh';
const libcCrypt = (password: string, setting: string) =>
  execFileSync('perl', ['-e', 'print crypt($ARGV[0], $ARGV[1])', password, setting]).toString('utf8');

describe('htpasswdLine', () => {
  it('is user:$6$rounds=N$salt$hash, and crypt(3) accepts the password', () => {
    const line = htpasswdLine('copilot', 'a generated password', SALT);
    assert.match(
      line,
      new RegExp(`^copilot:\\$6\\$rounds=${HTPASSWD_ROUNDS}\\$${SALT}\\$[./0-9A-Za-z]{86}$`),
    );
    const hash = line.slice('copilot:'.length);
    assert.equal(libcCrypt('a generated password', hash), hash);
    assert.equal(verifySha512Crypt('a generated password', hash), true);
  });

  it('gives identical bytes for the same user, password and salt, and differs when one changes', () => {
    const file = htpasswdFile('copilot', 'pass word 123', SALT);
    assert.equal(htpasswdFile('copilot', 'pass word 123', SALT), file);
    assert.ok(file.endsWith('\n') && file.split('\n').length === 2);
    assert.notEqual(htpasswdFile('copilot', 'pass word 124', SALT), file);
    assert.notEqual(htpasswdFile('copilot', 'pass word 123', 'Qw3rTyUi0pAsDfGi'), file);
  });

  it('refuses a user with a colon, a multi-line password and a bad salt', () => {
    assert.throws(() => htpasswdLine('a:b', 'password', SALT), /user/);
    assert.throws(() => htpasswdLine('', 'password', SALT), /user/);
    assert.throws(() => htpasswdLine('copilot', 'pass\nword', SALT), /password/);
    assert.throws(() => htpasswdLine('copilot', 'password', ''), /salt/);
    assert.throws(() => htpasswdLine('copilot', 'password', `${SALT}x`), /salt/);
    assert.throws(() => htpasswdLine('copilot', 'password', 'Qw3rTyUi0pAsDf:h'), /salt/);
  });
});

describe('resolveHtpasswdSalt', () => {
  const random = (size: number) => Uint8Array.from({ length: size }, (_, index) => index);
  it('keeps a valid stored salt', () => {
    assert.deepEqual(resolveHtpasswdSalt(SALT, random), { salt: SALT, generated: false });
    assert.deepEqual(resolveHtpasswdSalt('short', random), { salt: 'short', generated: false });
  });
  it('accepts a shorter salt, as crypt(3) does', () => {
    assert.match(htpasswdLine('copilot', 'password', 'preview'), /^copilot:\$6\$rounds=\d+\$preview\$/);
  });
  it('generates a new one when none or an invalid one is stored', () => {
    assert.deepEqual(resolveHtpasswdSalt(undefined, random), { salt: './0123456789ABCD', generated: true });
    assert.deepEqual(resolveHtpasswdSalt('bad$salt', random), { salt: './0123456789ABCD', generated: true });
  });
});
