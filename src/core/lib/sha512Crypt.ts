/**
 * SHA-512 crypt (`$6$`), as specified by Ulrich Drepper ("Unix crypt using SHA-256 and SHA-512") and implemented by
 * glibc and libxcrypt: the hash nginx's auth_basic verifies by calling crypt(3).
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Rounds for the appliance's htpasswd. nginx's auth_basic calls crypt(3) (libxcrypt on Debian 12 and Ubuntu 24.04)
 * in the worker's event loop for every Basic-auth request. scripts/bench-auth.ts, libxcrypt 4.4.33, 16-char salt,
 * median µs per verification (two runs on a loaded 2-vCPU machine):
 *
 *   $6$ rounds=5000 (default), 24-char password   3227 / 4033     bcrypt $2b$ cost 4   1199 / 1206
 *   $6$ rounds=1000,           24-char password    615 /  747     bcrypt $2b$ cost 5   2241 / 2250
 *   $6$ rounds=1000,           12-char password    352 /  411
 *
 * The minimum, 1000, wins: 5.3× cheaper than the default and 1.6–2× cheaper than bcrypt's lowest cost. While a
 * worker verifies, every stream it carries waits, and a client sending wrong passwords costs that much CPU each
 * time. A slower hash buys little here: the plain password is also in the root-only report and in the VM's context.
 * Bearer keys (what Cline sends) never reach crypt(3). libxcrypt refuses (rather than clamps) rounds outside
 * 1000..999999999, so the number written must be in range, as it is here.
 */
export const HTPASSWD_ROUNDS = 1000;

export const SHA512_CRYPT_DEFAULT_ROUNDS = 5000;
const ROUNDS_MIN = 1000;
const ROUNDS_MAX = 999_999_999;
const SALT_MAX = 16;
const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const SALT_ALPHABET = /^[./0-9A-Za-z]*$/;

/** The byte triples of the final digest, in the order the spec encodes them (the last group is byte 63 alone). */
const PERMUTATION: readonly (readonly [number, number, number])[] = [
  [0, 21, 42],
  [22, 43, 1],
  [44, 2, 23],
  [3, 24, 45],
  [25, 46, 4],
  [47, 5, 26],
  [6, 27, 48],
  [28, 49, 7],
  [50, 8, 29],
  [9, 30, 51],
  [31, 52, 10],
  [53, 11, 32],
  [12, 33, 54],
  [34, 55, 13],
  [56, 14, 35],
  [15, 36, 57],
  [37, 58, 16],
  [59, 17, 38],
  [18, 39, 60],
  [40, 61, 19],
  [62, 20, 41],
];

const sha512 = (...parts: Uint8Array[]): Buffer => {
  const hash = createHash('sha512');
  for (const part of parts) hash.update(part);
  return hash.digest();
};

/** `source` repeated (and cut) to exactly `length` bytes. */
function stretch(source: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let offset = 0; offset < length; offset += source.length) source.copy(out, offset);
  return out;
}

function encode24(b2: number, b1: number, b0: number, chars: number): string {
  let word = (b2 << 16) | (b1 << 8) | b0;
  let out = '';
  for (let index = 0; index < chars; index++) {
    out += ITOA64[word & 0x3f];
    word >>>= 6;
  }
  return out;
}

export const clampRounds = (rounds: number): number =>
  Math.min(ROUNDS_MAX, Math.max(ROUNDS_MIN, Math.trunc(rounds)));

/**
 * crypt(3) with a `$6$` setting. `rounds` undefined means the default 5000, not written in the result (as `openssl
 * passwd -6` does); a number is clamped to 1000..999999999 and written as `rounds=N$`. Like crypt(3), only the
 * first 16 salt characters count; characters outside [./0-9A-Za-z] are refused (libxcrypt refuses them too, and a
 * ':' or '$' would break an htpasswd line).
 */
export function sha512Crypt(password: string | Uint8Array, salt: string, rounds?: number): string {
  if (!SALT_ALPHABET.test(salt)) throw new Error('sha512Crypt: the salt may only hold [./0-9A-Za-z].');
  const key = typeof password === 'string' ? Buffer.from(password, 'utf8') : Buffer.from(password);
  const saltBytes = Buffer.from(salt.slice(0, SALT_MAX), 'ascii');
  const count = rounds === undefined ? SHA512_CRYPT_DEFAULT_ROUNDS : clampRounds(rounds);

  const b = sha512(key, saltBytes, key);
  const a = createHash('sha512').update(key).update(saltBytes).update(stretch(b, key.length));
  for (let bits = key.length; bits > 0; bits >>= 1) a.update(bits & 1 ? b : key);
  const digestA = a.digest();

  const pBytes = stretch(sha512(...Array<Buffer>(key.length).fill(key)), key.length);
  const sBytes = stretch(
    sha512(...Array<Buffer>(16 + (digestA[0] as number)).fill(saltBytes)),
    saltBytes.length,
  );

  let c = digestA;
  for (let round = 0; round < count; round++) {
    const hash = createHash('sha512').update(round & 1 ? pBytes : c);
    if (round % 3 !== 0) hash.update(sBytes);
    if (round % 7 !== 0) hash.update(pBytes);
    c = hash.update(round & 1 ? c : pBytes).digest();
  }

  let encoded = '';
  for (const [i, j, k] of PERMUTATION) encoded += encode24(c[i] as number, c[j] as number, c[k] as number, 4);
  encoded += encode24(0, 0, c[63] as number, 2);
  const roundsPart = rounds === undefined ? '' : `rounds=${count}$`;
  return `$6$${roundsPart}${saltBytes.toString('ascii')}$${encoded}`;
}

export interface Sha512Setting {
  readonly salt: string;
  /** Undefined when the setting names no rounds (the default 5000, not written back). */
  readonly rounds?: number;
}

/**
 * Reads a `$6$[rounds=N$]salt[$hash]` string: rounds are digits ending in '$' (no leading zero; clamped later as
 * glibc does, where libxcrypt refuses them), the salt ends at '$' and only its first 16 characters count. Returns
 * null for anything else.
 */
export function parseSha512Setting(setting: string): Sha512Setting | null {
  const match = /^\$6\$(?:rounds=([1-9][0-9]{0,8})\$)?([^$]*)(?:\$[./0-9A-Za-z]*)?$/.exec(setting);
  if (match === null) return null;
  const [, rounds, salt = ''] = match;
  if (!SALT_ALPHABET.test(salt)) return null;
  const parsedSalt = salt.slice(0, SALT_MAX);
  return rounds === undefined ? { salt: parsedSalt } : { salt: parsedSalt, rounds: Number(rounds) };
}

/** Whether `password` matches a `$6$` hash, compared in constant time. */
export function verifySha512Crypt(password: string | Uint8Array, hash: string): boolean {
  const setting = parseSha512Setting(hash);
  if (setting === null) return false;
  const computed = Buffer.from(sha512Crypt(password, setting.salt, setting.rounds));
  const expected = Buffer.from(hash);
  return computed.length === expected.length && timingSafeEqual(computed, expected);
}

/** A salt of `length` (at most 16) characters of [./0-9A-Za-z]; 64 divides 256, so every character is uniform. */
export function randomSalt(randomBytes: (size: number) => Uint8Array, length = SALT_MAX): string {
  if (!Number.isInteger(length) || length < 1 || length > SALT_MAX) {
    throw new Error(`randomSalt: length must be 1 to ${SALT_MAX}.`);
  }
  return Array.from(randomBytes(length).subarray(0, length), (byte) => ITOA64[byte & 0x3f]).join('');
}
