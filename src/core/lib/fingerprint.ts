/** SHA-256 certificate fingerprints as the report prints them ("AB:CD:…"), and as people paste them. Pure. */

/** "AB:CD:…" from any of: that form, plain hex, "sha256:…", "SHA256 Fingerprint=…"; null when it is not 32 bytes. */
export function normaliseFingerprint(text: string): string | null {
  const hex = text
    .trim()
    .replace(/^sha-?256(\s+fingerprint)?\s*[=:]?\s*/i, '')
    .replace(/[\s:]/g, '')
    .toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) return null;
  return (hex.match(/../g) as string[]).join(':');
}

/** Whole days from now until the date (negative when past). */
export function daysUntil(date: Date, now: Date): number {
  return Math.floor((date.getTime() - now.getTime()) / 86_400_000);
}
