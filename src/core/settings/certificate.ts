/** ONEAPP_COPILOT_TLS_CERT / _TLS_KEY: an operator-supplied certificate chain and private key, base64 PEM. */
import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { pemCertificateBlocks } from '../lib/certificates.ts';
import { ok, type ParseContext, type Parsed, refused } from './types.ts';

export interface PemChain {
  /** The chain as PEM text, leaf first. */
  readonly pem: string;
  readonly certificates: readonly X509Certificate[];
}

const BASE64 = /^[A-Za-z0-9+/=\s]+$/;
const CLOCK_SKEW_MS = 60 * 60 * 1000;

function decodeBase64(text: string, what: string, example: string): Parsed<string> {
  if (!BASE64.test(text)) {
    return refused(`the value is not base64 (it has other characters); encode the ${what} with: ${example}.`);
  }
  return ok(Buffer.from(text.replace(/\s+/g, ''), 'base64').toString('utf8'));
}

export function parseCertificateChain(text: string, context: ParseContext): Parsed<PemChain | null> {
  if (text.trim() === '') return ok(null);
  const decoded = decodeBase64(text, 'certificate chain', 'base64 -w0 fullchain.pem');
  if (!decoded.ok) return decoded;
  const blocks = pemCertificateBlocks(decoded.value);
  if (blocks.length === 0) {
    return refused(
      'the decoded value holds no "-----BEGIN CERTIFICATE-----" block; give the PEM certificate chain (leaf first), base64-encoded with: base64 -w0 fullchain.pem.',
    );
  }
  const certificates: X509Certificate[] = [];
  for (const [index, block] of blocks.entries()) {
    try {
      certificates.push(new X509Certificate(block));
    } catch (error) {
      return refused(`certificate ${index + 1} of the chain cannot be read (${(error as Error).message}).`);
    }
  }
  const problems: string[] = [];
  const leaf = certificates[0] as X509Certificate;
  if (new Date(leaf.validTo).getTime() <= context.now.getTime()) {
    problems.push(`the certificate expired on ${leaf.validTo}; supply a renewed certificate.`);
  }
  // A certificate issued minutes ago by a CA whose clock runs ahead is still accepted.
  if (new Date(leaf.validFrom).getTime() > context.now.getTime() + CLOCK_SKEW_MS) {
    problems.push(
      `the certificate is not valid before ${leaf.validFrom}; check the clock or the certificate.`,
    );
  }
  for (let index = 1; index < certificates.length; index++) {
    const child = certificates[index - 1] as X509Certificate;
    const parent = certificates[index] as X509Certificate;
    if (!child.checkIssued(parent) || !child.verify(parent.publicKey)) {
      problems.push(
        `certificate ${index + 1} did not issue certificate ${index}; order the chain leaf first, then each issuer.`,
      );
    }
  }
  return problems.length > 0 ? refused(...problems) : ok({ pem: `${blocks.join('\n')}\n`, certificates });
}

export function parsePrivateKey(text: string): Parsed<KeyObject | null> {
  if (text.trim() === '') return ok(null);
  const decoded = decodeBase64(text, 'private key', 'base64 -w0 privkey.pem');
  if (!decoded.ok) return decoded;
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(decoded.value)) {
    return refused(
      'the decoded value holds no "-----BEGIN … PRIVATE KEY-----" block; give an unencrypted PEM key.',
    );
  }
  try {
    return ok(createPrivateKey({ key: decoded.value, format: 'pem' }));
  } catch (error) {
    return refused(
      `the private key cannot be read (${(error as Error).message}); give an unencrypted PEM key (openssl pkey -in key.pem).`,
    );
  }
}

/** Cross-check of the pair: both or neither, and the key must belong to the leaf certificate. */
export function pairProblems(chain: PemChain | null, key: KeyObject | null): string[] {
  if (chain === null && key === null) return [];
  if (chain === null) return ['a private key was given without a certificate; set both or neither.'];
  if (key === null) return ['a certificate was given without its private key; set both or neither.'];
  const leaf = chain.certificates[0] as X509Certificate;
  return leaf.checkPrivateKey(key)
    ? []
    : ['the private key does not match the certificate; supply the key the certificate was issued for.'];
}
