/**
 * The htpasswd line nginx's auth_basic checks. The salt is generated once and kept with the generated secrets, so
 * rendering again gives the same bytes and nothing is rewritten or reloaded when nothing changed. One salt per
 * appliance is enough: it keeps precomputed tables useless and makes two appliances' hashes of one password differ.
 */
import { HTPASSWD_ROUNDS, randomSalt, SALT_ALPHABET, sha512Crypt } from '../lib/sha512Crypt.ts';

export const HTPASSWD_SALT_LENGTH = 16;

/** `user:$6$rounds=N$salt$hash`, without a newline. */
export function htpasswdLine(user: string, password: string, salt: string): string {
  if (user === '' || /[:\s]/.test(user))
    throw new Error('htpasswdLine: the user name must be non-empty, without ":" or spaces.');
  if (/[\r\n]/.test(password)) throw new Error('htpasswdLine: the password must be a single line.');
  if (!isHtpasswdSalt(salt)) {
    throw new Error(
      `htpasswdLine: the salt must be 1 to ${HTPASSWD_SALT_LENGTH} characters of [./0-9A-Za-z].`,
    );
  }
  return `${user}:${sha512Crypt(password, salt, HTPASSWD_ROUNDS)}`;
}

/** The whole file for one user. */
export const htpasswdFile = (user: string, password: string, salt: string): string =>
  `${htpasswdLine(user, password, salt)}\n`;

/** What crypt(3) uses whole: 1 to 16 characters of [./0-9A-Za-z]. The appliance generates 16. */
export const isHtpasswdSalt = (salt: string): boolean =>
  salt.length >= 1 && salt.length <= HTPASSWD_SALT_LENGTH && SALT_ALPHABET.test(salt);

/**
 * The salt to use: the stored one while it is valid, else a new one. The caller stores `salt` with the generated
 * secrets (StoredSecrets) whenever `generated` is true.
 */
export function resolveHtpasswdSalt(
  stored: string | undefined,
  randomBytes: (size: number) => Uint8Array,
): { salt: string; generated: boolean } {
  if (stored !== undefined && isHtpasswdSalt(stored)) return { salt: stored, generated: false };
  return { salt: randomSalt(randomBytes, HTPASSWD_SALT_LENGTH), generated: true };
}
