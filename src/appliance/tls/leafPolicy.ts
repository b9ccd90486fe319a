/**
 * When the appliance CA must issue a new server certificate (leaf): none yet, the names it must cover changed, it
 * expires within 30 days, or it no longer matches the CA or its key. Pure; certificates are read with node:crypto.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { pemCertificateBlocks } from '../../core/lib/certificates.ts';

export const RENEW_WITHIN_DAYS = 30;
const DAY_MS = 86_400_000;

/** Subject alternative names, normalised: DNS names lower case without a trailing dot, IPv6 compressed. */
export interface SanSet {
  readonly dns: readonly string[];
  readonly ips: readonly string[];
}

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export function normaliseDnsName(name: string): string | null {
  const lower = name.trim().toLowerCase().replace(/\.$/, '');
  if (lower.length === 0 || lower.length > 253 || isIPv4(lower)) return null;
  return lower.split('.').every((label) => LABEL.test(label)) ? lower : null;
}

/** 127.0.0.1 and 2001:db8::1 as openssl writes them back; null for what is no IP (or has a zone, like fe80::1%eth0). */
export function normaliseIp(address: string): string | null {
  const text = address.trim();
  if (isIPv4(text)) return text.split('.').map(Number).join('.');
  if (!isIPv6(text) || text.includes('%')) return null;
  // WHATWG URL parsing gives the RFC 5952 text form: lower case, longest zero run compressed.
  return new URL(`http://[${text}]/`).hostname.slice(1, -1);
}

/** Normalised, duplicates dropped, first occurrence kept (the first DNS name becomes the subject CN). */
export function normaliseSans(dns: Iterable<string>, ips: Iterable<string>): SanSet {
  const names = [...dns].map((name) => {
    const normal = normaliseDnsName(name);
    if (normal === null) throw new Error(`not a DNS name for a certificate: ${JSON.stringify(name)}`);
    return normal;
  });
  const addresses = [...ips].map((ip) => {
    const normal = normaliseIp(ip);
    if (normal === null) throw new Error(`not an IP address for a certificate: ${JSON.stringify(ip)}`);
    return normal;
  });
  return { dns: [...new Set(names)], ips: [...new Set(addresses)] };
}

/**
 * What the appliance CA's leaf covers: the domain (when set), the host name, every address of the VM, and also
 * localhost, 127.0.0.1 and ::1, so checks run on the VM itself (curl https://localhost, the client tools) verify
 * against the CA like any remote client. A host name that is no valid DNS name (e.g. with '_') is left out; one
 * that is an IP counts as an address; zoned (link-local) addresses are left out.
 */
export function sanSet(hostname: string, addresses: readonly string[], domain: string | null): SanSet {
  const hostIp = normaliseIp(hostname);
  const dns = [domain, hostIp === null ? hostname : null, 'localhost']
    .map((name) => (name === null ? null : normaliseDnsName(name)))
    .filter((name): name is string => name !== null);
  const ips = [...addresses, ...(hostIp === null ? [] : [hostIp]), '127.0.0.1', '::1']
    .map(normaliseIp)
    .filter((ip): ip is string => ip !== null);
  return normaliseSans(dns, ips);
}

export interface LeafFacts {
  readonly sans: SanSet;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** "AB:CD:…", as X509Certificate gives it. */
  readonly fingerprint256: string;
  /** Whether the given CA issued this certificate (name and signature); undefined when no CA was given. */
  readonly issuedByCa?: boolean;
  /** Whether the given private key belongs to this certificate; undefined when no key was given. */
  readonly keyMatches?: boolean;
}

/** Facts of the first certificate of a PEM text (a leaf followed by its chain is fine). Throws if unreadable. */
export function leafFacts(pem: string, against: { caPem?: string; keyPem?: string } = {}): LeafFacts {
  const block = pemCertificateBlocks(pem)[0];
  if (block === undefined) throw new Error('no "-----BEGIN CERTIFICATE-----" block');
  const leaf = new X509Certificate(block);
  const facts: LeafFacts = {
    sans: parseSubjectAltName(leaf.subjectAltName ?? ''),
    notBefore: new Date(leaf.validFrom),
    notAfter: new Date(leaf.validTo),
    fingerprint256: leaf.fingerprint256,
  };
  const checks: { issuedByCa?: boolean; keyMatches?: boolean } = {};
  if (against.caPem !== undefined) {
    const ca = new X509Certificate(against.caPem);
    checks.issuedByCa = leaf.checkIssued(ca) && leaf.verify(ca.publicKey);
  }
  if (against.keyPem !== undefined) {
    checks.keyMatches = leaf.checkPrivateKey(createPrivateKey(against.keyPem));
  }
  return { ...facts, ...checks };
}

/**
 * Node's subjectAltName text: `DNS:a.example, IP Address:192.0.2.1, IP Address:0:0:0:0:0:0:0:1`; values with
 * special characters come as JSON strings. Other kinds (email, URI) are ignored.
 */
export function parseSubjectAltName(text: string): SanSet {
  const dns: string[] = [];
  const ips: string[] = [];
  for (const match of text.matchAll(/(DNS|IP Address|[A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/g)) {
    const [, kind, raw = ''] = match;
    const value = raw.startsWith('"') ? (JSON.parse(raw) as string) : raw;
    if (kind === 'DNS') dns.push(normaliseDnsName(value) ?? value.toLowerCase());
    if (kind === 'IP Address') ips.push(normaliseIp(value) ?? value);
  }
  return { dns: [...new Set(dns)], ips: [...new Set(ips)] };
}

export type LeafDecision =
  | { readonly action: 'keep' }
  | { readonly action: 'issue'; readonly reason: string };

/** Every reason to issue, joined with "; " (order-independent comparison of the names). */
export function leafDecision(desired: SanSet, current: LeafFacts | null, now: Date): LeafDecision {
  if (current === null) return { action: 'issue', reason: 'no certificate yet' };
  const reasons: string[] = [];
  if (current.issuedByCa === false)
    reasons.push('CA changed: the certificate was not issued by the appliance CA');
  if (current.keyMatches === false) reasons.push('the private key does not match the certificate');
  const change = sanChange(desired, current.sans);
  if (change !== null) reasons.push(`SAN set changed: ${change}`);
  const left = current.notAfter.getTime() - now.getTime();
  if (left <= 0) reasons.push(`expired on ${current.notAfter.toISOString()}`);
  else if (left <= RENEW_WITHIN_DAYS * DAY_MS) {
    reasons.push(`expires within ${RENEW_WITHIN_DAYS} days (on ${current.notAfter.toISOString()})`);
  }
  if (current.notBefore.getTime() > now.getTime()) {
    reasons.push(`not valid before ${current.notBefore.toISOString()} (the clock went back)`);
  }
  return reasons.length === 0 ? { action: 'keep' } : { action: 'issue', reason: reasons.join('; ') };
}

/** "added DNS:a, IP:192.0.2.7 / removed IP:192.0.2.5", or null when both hold the same names. */
export function sanChange(desired: SanSet, current: SanSet): string | null {
  const tagged = (set: SanSet) =>
    new Set([...set.dns.map((name) => `DNS:${name}`), ...set.ips.map((ip) => `IP:${ip}`)]);
  const want = tagged(desired);
  const have = tagged(current);
  const added = [...want].filter((name) => !have.has(name));
  const removed = [...have].filter((name) => !want.has(name));
  if (added.length === 0 && removed.length === 0) return null;
  const parts = [
    ...(added.length > 0 ? [`added ${added.join(', ')}`] : []),
    ...(removed.length > 0 ? [`removed ${removed.join(', ')}`] : []),
  ];
  return parts.join(' / ');
}
