/** The TLS step of a configure run (or a sandbox start): choose the source, make or install the certificate. */
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { LAYOUT } from '../../core/facts/layout.ts';
import type { HostFacts } from '../../core/host/types.ts';
import type { TlsSummary } from '../../core/plan/plan.ts';
import type { Settings } from '../../core/settings/declarations.ts';
import { ensureTls, type Openssl, opensslCli } from './applianceTls.ts';
import { sanSet } from './leafPolicy.ts';
import { lineage } from './letsEncrypt.ts';

export interface TlsStep {
  readonly root: string;
  readonly settings: Settings;
  readonly host: HostFacts;
  readonly now: Date;
  readonly openssl?: Openssl;
}

/** A Let's Encrypt certificate certbot issued for the domain, while it is valid and covers the domain. */
function issuedByAcme(
  root: string,
  domain: string | null,
  now: Date,
): { chainPem: string; keyPem: string } | null {
  if (domain === null) return null;
  const files = lineage(root, domain);
  if (!existsSync(files.fullchain) || !existsSync(files.privkey)) return null;
  const chainPem = readFileSync(files.fullchain, 'utf8');
  const leaf = new X509Certificate(chainPem);
  const valid =
    new Date(leaf.validTo).getTime() > now.getTime() && (leaf.subjectAltName ?? '').includes(`DNS:${domain}`);
  return valid ? { chainPem, keyPem: readFileSync(files.privkey, 'utf8') } : null;
}

/** Operator certificate, else a valid Let's Encrypt one, else the appliance CA's leaf. */
export function prepareTls(step: TlsStep): TlsSummary & { readonly issued: boolean } {
  const { settings } = step;
  const stateDir = posix.join(step.root, LAYOUT.stateDir);
  const acme =
    settings.tlsCertificate === null ? issuedByAcme(step.root, settings.tlsDomain, step.now) : null;
  const operator =
    settings.tlsCertificate !== null && settings.tlsKey !== null
      ? {
          chainPem: settings.tlsCertificate.pem,
          keyPem: settings.tlsKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        }
      : acme;
  const result = ensureTls(
    {
      stateDir,
      mode: operator === null ? 'appliance-ca' : 'operator',
      sans: sanSet(step.host.network.hostname, step.host.network.addresses, settings.tlsDomain),
      ...(operator === null ? {} : { operator }),
      now: step.now,
    },
    { openssl: step.openssl ?? opensslCli() },
  );
  return {
    mode: acme !== null ? 'letsencrypt' : result.mode,
    caFingerprintSha256: result.caFingerprintSha256,
    leafNotAfter: result.leafNotAfter,
    issued: result.issued,
  };
}
