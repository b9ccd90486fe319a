import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import {
  HTPASSWD_ROUNDS,
  parseSha512Setting,
  randomSalt,
  sha512Crypt,
  verifySha512Crypt,
} from '../../../src/core/lib/sha512Crypt.ts';

/** `openssl passwd -6` (its own SHA-512 crypt, default 5000 rounds); it reads one line, so no newline inside. */
const opensslPasswd = (password: string, salt: string) =>
  execFileSync('openssl', ['passwd', '-6', '-salt', salt, '-stdin'], { input: `${password}\n` })
    .toString('utf8')
    .trim();

/** crypt(3) of the C library (libxcrypt on Debian 12), the function nginx's auth_basic calls. */
const libcCrypt = (password: string, setting: string) =>
  execFileSync('perl', ['-e', 'print crypt($ARGV[0], $ARGV[1])', password, setting]).toString('utf8');

const PASSWORDS = [
  'correct horse battery staple',
  'x',
  'p@ss:w0rd$with{specials}',
  'ünïcödé pässwörd ✓',
  'a'.repeat(64),
  'Z9'.repeat(64),
];

describe('sha512Crypt', () => {
  it("matches Drepper's published test vectors", () => {
    assert.equal(
      sha512Crypt('Hello world!', 'saltstring'),
      '$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1',
    );
    assert.equal(
      sha512Crypt('Hello world!', 'saltstringsaltstring', 10000),
      '$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.',
    );
  });

  it('equals openssl passwd -6 (default 5000 rounds) for several passwords and salts', () => {
    const salts = ['saltstring', 'a', './09AZaz', 'abcdefghijklmnop', 'abcdefghijklmnopqrstu'];
    for (const [index, password] of PASSWORDS.entries()) {
      const salt = salts[index % salts.length] as string;
      assert.equal(sha512Crypt(password, salt), opensslPasswd(password, salt), `${password} / ${salt}`);
    }
  });

  it("equals the C library's crypt(3) for $6$rounds=1000$", () => {
    for (const [index, password] of PASSWORDS.entries()) {
      const setting = `$6$rounds=1000$${['salt', 'Qw3rTy./', 'sixteencharsalt.'][index % 3]}$`;
      const ours = sha512Crypt(password, parseSha512Setting(setting)?.salt ?? '', 1000);
      assert.equal(ours, libcCrypt(password, setting), password);
      assert.equal(libcCrypt(password, ours), ours, 'crypt(3) verifies our hash');
    }
  });

  it('writes the appliance rounds explicitly, in a form crypt(3) accepts', () => {
    const hash = sha512Crypt('some password here', 'abcdefgh', HTPASSWD_ROUNDS);
    assert.match(hash, new RegExp(`^\\$6\\$rounds=${HTPASSWD_ROUNDS}\\$abcdefgh\\$[./0-9A-Za-z]{86}$`));
    assert.equal(libcCrypt('some password here', hash), hash);
  });

  it('clamps rounds to 1000..999999999 (libxcrypt would refuse rounds=10, so it must never be written)', () => {
    assert.equal(sha512Crypt('pw', 'salt', 10), sha512Crypt('pw', 'salt', 1000));
    assert.match(sha512Crypt('pw', 'salt', 10), /^\$6\$rounds=1000\$salt\$/);
    assert.equal(libcCrypt('pw', '$6$rounds=10$salt$'), '*0', 'libxcrypt refuses out-of-range rounds');
  });

  it('hashes the empty password like crypt(3)', () => {
    assert.equal(sha512Crypt('', 'salt', 1000), libcCrypt('', '$6$rounds=1000$salt$'));
  });

  it('refuses salt characters outside [./0-9A-Za-z]', () => {
    assert.throws(() => sha512Crypt('pw', 'a:b'), /salt/);
    assert.throws(() => sha512Crypt('pw', 'a$b'), /salt/);
  });
});

describe('parseSha512Setting and verifySha512Crypt', () => {
  it('reads settings and full hashes', () => {
    assert.deepEqual(parseSha512Setting('$6$salt$'), { salt: 'salt' });
    assert.deepEqual(parseSha512Setting('$6$rounds=1000$salt'), { salt: 'salt', rounds: 1000 });
    assert.deepEqual(parseSha512Setting('$6$abcdefghijklmnopqrs$'), { salt: 'abcdefghijklmnop' });
    assert.deepEqual(parseSha512Setting(sha512Crypt('pw', 'xy', 2000)), { salt: 'xy', rounds: 2000 });
  });
  it('returns null for other schemes and malformed settings', () => {
    for (const bad of [
      '$5$salt$',
      '$2b$04$abc',
      '$6$rounds=01000$s$',
      '$6$rounds=x$s$',
      '$6$a:b$',
      'plain',
    ]) {
      assert.equal(parseSha512Setting(bad), null, bad);
    }
  });
  it('verifies the right password only', () => {
    const hash = libcCrypt('secret password', '$6$rounds=1000$abc$');
    assert.equal(verifySha512Crypt('secret password', hash), true);
    assert.equal(verifySha512Crypt('secret passwore', hash), false);
    assert.equal(verifySha512Crypt('secret password', '$1$abc$xyz'), false);
  });
});

describe('randomSalt', () => {
  it('maps each random byte to one salt character', () => {
    const bytes = (size: number) => Uint8Array.from({ length: size }, (_, index) => index * 64 + index);
    assert.equal(randomSalt(bytes, 4), './01');
    assert.equal(
      randomSalt(() => new Uint8Array(16).fill(255)),
      'z'.repeat(16),
    );
  });
  it('gives 16 characters of the salt alphabet by default and refuses other lengths', () => {
    assert.match(
      randomSalt((size) => new Uint8Array(size).map((_, index) => index * 37)),
      /^[./0-9A-Za-z]{16}$/,
    );
    assert.throws(() => randomSalt(() => new Uint8Array(17), 17));
    assert.throws(() => randomSalt(() => new Uint8Array(0), 0));
  });
});
