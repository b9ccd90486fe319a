/**
 * Deciding whom to trust: --ca FILE, --fingerprint (the report's ca_fingerprint_sha256, matched against what the
 * server presents and serves at /ca.pem), --insecure, or by default the system's roots. A failure is a problem
 * with its cause and fix; options that contradict each other or a --ca/--fingerprint that is not one are usage
 * errors (thrown). Nothing with credentials is sent before trust is settled.
 */
import { readFileSync } from 'node:fs';
import { LAYOUT } from '../../core/facts/layout.ts';
import { type CertificateFacts, certificateFacts, certificatesOf } from '../../core/lib/certificates.ts';
import { type Problem, usageError } from '../../core/lib/failure.ts';
import { normaliseFingerprint } from '../../core/lib/fingerprint.ts';
import { HttpClient, type Trust } from './http.ts';
import { probeTls } from './tlsProbe.ts';
import type { Target } from './url.ts';

export interface TrustOptions {
  readonly ca?: string;
  readonly fingerprint?: string;
  readonly insecure?: boolean;
}

export type TrustResult =
  | { readonly ok: true; readonly trust: Trust }
  | { readonly ok: false; readonly problem: Problem };

export type PinMatch =
  | { readonly kind: 'ca'; readonly certificate: CertificateFacts }
  | { readonly kind: 'leaf'; readonly certificate: CertificateFacts }
  | { readonly kind: 'none' };

/** Pure: which of the certificates seen (served /ca.pem first, then the presented chain) has this fingerprint. */
export function matchPinned(fingerprint: string, seen: readonly CertificateFacts[]): PinMatch {
  const found = seen.find((certificate) => certificate.fingerprint256 === fingerprint);
  if (found === undefined) return { kind: 'none' };
  return found.isCa ? { kind: 'ca', certificate: found } : { kind: 'leaf', certificate: found };
}

export const REPORT_FINGERPRINT_HINT = `ca_fingerprint_sha256 in the [TLS] section of the report on the VM (${LAYOUT.report}, root only; also published to OneGate as ONEAPP_COPILOT_CA_FINGERPRINT)`;

/** Fetches /ca.pem without verification, only so its fingerprint can be compared. */
export async function fetchServedCa(
  target: Target,
): Promise<{ ok: true; pem: string; certificates: CertificateFacts[] } | { ok: false; problem: Problem }> {
  const client = new HttpClient(target, { kind: 'insecure' });
  try {
    const response = await client.request({ path: '/ca.pem', timeoutMs: 15_000 });
    if (!response.ok) {
      return {
        ok: false,
        problem: {
          reason: `cannot fetch ${target.origin}/ca.pem: ${response.error}`,
          cause:
            'the VM is not reachable on this address and port (stopped, firewall, security group, wrong URL)',
          fix: `check the address in the report's base_url and that port ${target.port} is open to you`,
        },
      };
    }
    const certificates = response.status === 200 ? safeCertificates(response.body) : [];
    if (certificates.length === 0) {
      return {
        ok: false,
        problem: {
          reason: `${target.origin}/ca.pem answered ${response.status} without a PEM certificate`,
          cause: 'this is not an SLM-Copilot appliance, or something in front of it answers instead',
          fix: 'check the URL; the appliance serves its CA at /ca.pem without authentication',
        },
      };
    }
    return { ok: true, pem: certificates.map((c) => c.pem).join(''), certificates };
  } finally {
    client.close();
  }
}

function safeCertificates(pem: string): CertificateFacts[] {
  try {
    return certificatesOf(pem).map(certificateFacts);
  } catch {
    return [];
  }
}

export async function resolveTrust(target: Target, options: TrustOptions): Promise<TrustResult> {
  const chosen = [options.ca, options.fingerprint, options.insecure ? true : undefined].filter(
    (value) => value !== undefined,
  );
  if (chosen.length > 1) {
    throw usageError('give only one of --ca, --fingerprint and --insecure');
  }
  if (!target.secure) return { ok: true, trust: { kind: 'insecure' } };
  if (options.insecure) return { ok: true, trust: { kind: 'insecure' } };
  if (options.ca !== undefined) return caFromFile(options.ca);
  if (options.fingerprint !== undefined) return pinned(target, options.fingerprint);
  return { ok: true, trust: { kind: 'system' } };
}

function caFromFile(path: string): TrustResult {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    throw usageError(
      `cannot read --ca ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  if (safeCertificates(pem).length === 0) {
    throw usageError(`--ca ${path} holds no PEM certificate`);
  }
  return { ok: true, trust: { kind: 'ca', pem, source: `the CA in ${path}` } };
}

async function pinned(target: Target, text: string): Promise<TrustResult> {
  const fingerprint = normaliseFingerprint(text);
  if (fingerprint === null) {
    throw usageError(`--fingerprint "${text}" is not a SHA-256 fingerprint (32 bytes in hex, e.g. AB:CD:…)`);
  }
  const served = await fetchServedCa(target);
  const probe = await probeTls(target, { kind: 'insecure' });
  const seen = [...(served.ok ? served.certificates : []), ...(probe.ok ? probe.chain : [])];
  if (seen.length === 0) {
    return { ok: false, problem: served.ok ? unreachable(target, probe) : served.problem };
  }
  const match = matchPinned(fingerprint, seen);
  if (match.kind === 'ca') {
    return {
      ok: true,
      trust: {
        kind: 'ca',
        pem: match.certificate.pem,
        source: `the CA pinned by --fingerprint ${short(fingerprint)}`,
      },
    };
  }
  if (match.kind === 'leaf') {
    return {
      ok: false,
      problem: {
        reason: `${short(fingerprint)} is the server certificate's fingerprint, not the CA's`,
        cause:
          'the server certificate is re-issued when the VM changes address or nears expiry; pinning it breaks then',
        fix: `pin the CA instead: ${REPORT_FINGERPRINT_HINT}`,
      },
    };
  }
  const servedFingerprint = served.ok ? served.certificates[0]?.fingerprint256 : undefined;
  return {
    ok: false,
    problem: {
      reason: `the server's CA does not have the expected fingerprint: expected ${fingerprint}, ${
        servedFingerprint === undefined
          ? 'the server presents other certificates'
          : `/ca.pem has ${servedFingerprint}`
      }`,
      cause:
        'another server answers on this address (wrong URL, or someone in between), or the appliance CA was re-created because /var/lib/slm-copilot was lost',
      fix: `compare with ${REPORT_FINGERPRINT_HINT}; send no key to this server until they match`,
    },
  };
}

function unreachable(target: Target, probe: Awaited<ReturnType<typeof probeTls>>): Problem {
  return {
    reason: `no TLS handshake with ${target.host}:${target.port}: ${probe.ok ? 'no certificate' : probe.error}`,
    cause: 'the VM is not reachable on this address and port, or does not speak TLS there',
    fix: `check the address in the report's base_url and that port ${target.port} is open to you`,
  };
}

/** "AB:CD:EF:…:12:34" for messages (the full value is in --json). */
export function short(fingerprint: string): string {
  return fingerprint.length > 23 ? `${fingerprint.slice(0, 11)}…${fingerprint.slice(-11)}` : fingerprint;
}
