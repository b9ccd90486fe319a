/**
 * Certificates in PEM text: the one certificate-block pattern of the program, the X.509 certificates a text holds,
 * and the facts of one certificate as the client tools show them.
 */
import { X509Certificate } from 'node:crypto';

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Every "-----BEGIN CERTIFICATE-----" block of a PEM text, in order. */
export function pemCertificateBlocks(pem: string): string[] {
  return pem.match(CERTIFICATE_BLOCK) ?? [];
}

/** Every certificate of a PEM text, in order. */
export function certificatesOf(pem: string): X509Certificate[] {
  return pemCertificateBlocks(pem).map((block) => new X509Certificate(block));
}

export interface CertificateFacts {
  readonly subject: string;
  readonly issuer: string;
  /** "DNS:name", "IP Address:1.2.3.4" entries as X509Certificate gives them. */
  readonly sans: readonly string[];
  readonly validFrom: string;
  readonly validTo: string;
  readonly fingerprint256: string;
  readonly isCa: boolean;
  readonly pem: string;
}

export function certificateFacts(certificate: X509Certificate): CertificateFacts {
  return {
    subject: certificate.subject.replace(/\n/g, ', '),
    issuer: certificate.issuer.replace(/\n/g, ', '),
    sans: (certificate.subjectAltName ?? '')
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean),
    validFrom: new Date(certificate.validFrom).toISOString(),
    validTo: new Date(certificate.validTo).toISOString(),
    fingerprint256: certificate.fingerprint256,
    isCa: certificate.ca,
    pem: certificate.toString(),
  };
}
