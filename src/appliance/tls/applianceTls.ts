/**
 * The certificate nginx serves, kept under the state directory (TLS_FILES):
 *
 *   tls/ca.key, tls/ca.pem      the appliance CA: made once, never replaced while present (unless it has expired)
 *   tls/server.key, server.pem  what nginx serves: the CA's leaf (leaf + CA) or the operator's chain as given
 *   tls/ca-public.pem           what GET /ca.pem serves: the appliance CA, or the last certificate of the chain
 *
 * Keys are EC P-256: 128-bit strength like RSA 3072, accepted by every TLS client Cline or curl uses, and much
 * cheaper to sign handshakes with on a VM whose cores are busy with inference. Every mode is set explicitly
 * (the one-apps driver runs with umask 0077); tls/ is 0711 so nginx workers can read ca-public.pem by name.
 */

import { createPrivateKey, randomBytes as cryptoRandomBytes, X509Certificate } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { TLS_FILES } from '../../core/facts/layout.ts';
import { pemCertificateBlocks } from '../../core/lib/certificates.ts';
import { runSync, succeeded } from '../../system/process.ts';
import { writeAtomically } from '../apply/files.ts';
import { type LeafDecision, leafDecision, leafFacts, type SanSet } from './leafPolicy.ts';

/** Runs the openssl CLI with these arguments (and stdin), returns stdout; throws with stderr on failure. */
export type Openssl = (args: string[], input?: string) => string;

export interface TlsDeps {
  readonly openssl: Openssl;
  readonly randomBytes?: (size: number) => Uint8Array;
}

export interface TlsRequest {
  readonly stateDir: string;
  readonly mode: 'appliance-ca' | 'operator';
  /** What the leaf must cover (sanSet); unused in operator mode. */
  readonly sans: SanSet;
  /** Operator mode only, after settings validation passed: the chain (leaf first) and its unencrypted key. */
  readonly operator?: { readonly chainPem: string; readonly keyPem: string };
  readonly now: Date;
}

export interface TlsResult {
  readonly mode: 'appliance-ca' | 'operator';
  readonly certificatePath: string;
  readonly keyPath: string;
  /** What GET /ca.pem serves. */
  readonly caPath: string;
  readonly caPem: string;
  /** "AB:CD:…" of caPem. */
  readonly caFingerprintSha256: string;
  /** ISO 8601. */
  readonly leafNotAfter: string;
  /** The served certificate or key changed in this run: nginx must reload. */
  readonly issued: boolean;
  readonly reason?: string;
  /** A new appliance CA was made in this run: clients must trust it again. */
  readonly caCreated: boolean;
}

export const LEAF_DAYS = 397;
export const CA_DAYS = 3650;
const DAY_MS = 86_400_000;
const BACKDATE_MS = DAY_MS;
const MODES = { dir: 0o711, work: 0o700, key: 0o600, certificate: 0o644 } as const;

export function opensslCli(binary = 'openssl'): Openssl {
  return (args, input) => succeeded(runSync(binary, args, { input: input ?? '' }));
}

export function ensureTls(request: TlsRequest, deps: TlsDeps): TlsResult {
  const paths = tlsPaths(request.stateDir);
  // nginx workers reach ca-public.pem (and the ACME webroot) through the state directory: traversable, not listable.
  if (mkdirSync(request.stateDir, { recursive: true }) !== undefined) chmodSync(request.stateDir, MODES.dir);
  ensureDirectory(paths.dir, MODES.dir);
  if (request.mode === 'operator') {
    if (request.operator === undefined) throw new Error('ensureTls: operator mode needs the chain and key.');
    return installOperator(paths, request.operator);
  }
  const work = join(paths.dir, '.work');
  rmSync(work, { recursive: true, force: true });
  ensureDirectory(work, MODES.work);
  try {
    const issuer = new Issuer(work, deps);
    const ca = ensureCa(paths, issuer, request.now);
    const decision = currentDecision(paths, ca.pem, request.sans, request.now);
    if (decision.action === 'issue') {
      const leaf = issuer.issueLeaf(request.sans, paths, request.now, ca.notAfter);
      writeAtomically(paths.key, leaf.keyPem, MODES.key);
      writeAtomically(paths.certificate, `${leaf.pem.trim()}\n${ca.pem.trim()}\n`, MODES.certificate);
    } else {
      ensureMode(paths.key, MODES.key);
      ensureMode(paths.certificate, MODES.certificate);
    }
    writeIfChanged(paths.caPublic, ca.pem, MODES.certificate);
    return {
      mode: 'appliance-ca',
      certificatePath: paths.certificate,
      keyPath: paths.key,
      caPath: paths.caPublic,
      caPem: ca.pem,
      caFingerprintSha256: new X509Certificate(ca.pem).fingerprint256,
      leafNotAfter: leafFacts(readFileSync(paths.certificate, 'utf8')).notAfter.toISOString(),
      issued: decision.action === 'issue',
      ...(decision.action === 'issue' ? { reason: decision.reason } : {}),
      caCreated: ca.created,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

type TlsPaths = { readonly [K in keyof typeof TLS_FILES]: string };

export function tlsPaths(stateDir: string): TlsPaths {
  const entries = Object.entries(TLS_FILES).map(([name, relative]) => [name, join(stateDir, relative)]);
  return Object.fromEntries(entries) as TlsPaths;
}

function installOperator(paths: TlsPaths, operator: { chainPem: string; keyPem: string }): TlsResult {
  const blocks = pemCertificateBlocks(operator.chainPem);
  const leafBlock = blocks[0];
  const lastBlock = blocks.at(-1);
  if (leafBlock === undefined || lastBlock === undefined)
    throw new Error('the operator chain holds no certificate');
  const leaf = new X509Certificate(leafBlock);
  if (!leaf.checkPrivateKey(createPrivateKey(operator.keyPem))) {
    throw new Error('the operator key does not match the certificate');
  }
  const keyChanged = writeIfChanged(paths.key, `${operator.keyPem.trim()}\n`, MODES.key);
  const certificateChanged = writeIfChanged(paths.certificate, `${blocks.join('\n')}\n`, MODES.certificate);
  const caPem = `${lastBlock}\n`;
  writeIfChanged(paths.caPublic, caPem, MODES.certificate);
  const issued = keyChanged || certificateChanged;
  return {
    mode: 'operator',
    certificatePath: paths.certificate,
    keyPath: paths.key,
    caPath: paths.caPublic,
    caPem,
    caFingerprintSha256: new X509Certificate(caPem).fingerprint256,
    leafNotAfter: new Date(leaf.validTo).toISOString(),
    issued,
    ...(issued ? { reason: 'operator certificate installed' } : {}),
    caCreated: false,
  };
}

interface Ca {
  readonly pem: string;
  readonly notAfter: Date;
  readonly created: boolean;
}

/** The CA in place, or a new one when there is none (or it has expired); a CA without its key is an error. */
function ensureCa(paths: TlsPaths, issuer: Issuer, now: Date): Ca {
  if (existsSync(paths.caCertificate)) {
    const pem = readFileSync(paths.caCertificate, 'utf8');
    const certificate = new X509Certificate(pem);
    const notAfter = new Date(certificate.validTo);
    if (notAfter.getTime() > now.getTime()) {
      if (
        !existsSync(paths.caKey) ||
        !certificate.checkPrivateKey(createPrivateKey(readFileSync(paths.caKey)))
      ) {
        throw new Error(
          `${paths.caCertificate} has no matching key in ${paths.caKey}: restore the key, or remove both files to make a new CA (clients must then trust the new one).`,
        );
      }
      ensureMode(paths.caKey, MODES.key);
      ensureMode(paths.caCertificate, MODES.certificate);
      return { pem, notAfter, created: false };
    }
  }
  const ca = issuer.createCa(now);
  // Key first: a crash before the certificate is written leaves no CA, and the next run makes one.
  writeAtomically(paths.caKey, ca.keyPem, MODES.key);
  writeAtomically(paths.caCertificate, ca.pem, MODES.certificate);
  syncDirectory(paths.dir);
  return { pem: ca.pem, notAfter: new Date(new X509Certificate(ca.pem).validTo), created: true };
}

function currentDecision(paths: TlsPaths, caPem: string, sans: SanSet, now: Date): LeafDecision {
  if (!existsSync(paths.certificate)) return leafDecision(sans, null, now);
  if (!existsSync(paths.key)) return { action: 'issue', reason: 'the private key is missing' };
  try {
    const facts = leafFacts(readFileSync(paths.certificate, 'utf8'), {
      caPem,
      keyPem: readFileSync(paths.key, 'utf8'),
    });
    return leafDecision(sans, facts, now);
  } catch (error) {
    return { action: 'issue', reason: `the certificate or key cannot be read (${(error as Error).message})` };
  }
}

/** openssl in a private work directory: `openssl ca` is what can set notBefore on OpenSSL 3.0 (-startdate). */
class Issuer {
  readonly #work: string;
  readonly #deps: TlsDeps;

  constructor(work: string, deps: TlsDeps) {
    this.#work = work;
    this.#deps = deps;
  }

  createCa(now: Date): { keyPem: string; pem: string } {
    const id = Buffer.from(this.#random(4)).toString('hex');
    const start = backdated(now);
    return this.#sign({
      subject: `/CN=SLM-Copilot appliance CA ${id}`,
      sans: null,
      start,
      end: new Date(start.getTime() + CA_DAYS * DAY_MS),
      signer: null,
    });
  }

  /** Valid from a day before now for 398 days (397 from now), never past the CA. */
  issueLeaf(sans: SanSet, paths: TlsPaths, now: Date, caNotAfter: Date): { keyPem: string; pem: string } {
    const start = backdated(now);
    const end = Math.min(start.getTime() + (LEAF_DAYS + 1) * DAY_MS, caNotAfter.getTime());
    const name = sans.dns[0] ?? sans.ips[0] ?? 'SLM-Copilot';
    return this.#sign({
      subject: `/CN=${name.length <= 64 ? name : 'SLM-Copilot'}`,
      sans,
      start,
      end: new Date(end),
      signer: { certificate: paths.caCertificate, key: paths.caKey },
    });
  }

  #sign(order: {
    subject: string;
    sans: SanSet | null;
    start: Date;
    end: Date;
    signer: { certificate: string; key: string } | null;
  }): { keyPem: string; pem: string } {
    const file = (name: string) => join(this.#work, name);
    const [key, csr, pem, cnf] = [file('new.key'), file('new.csr'), file('new.pem'), file('openssl.cnf')];
    const keyPem = this.#openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']);
    writeFileSync(key, keyPem, { mode: MODES.key });
    writeFileSync(cnf, opensslConfig(this.#work, order.sans));
    writeFileSync(file('index.txt'), '');
    writeFileSync(file('serial'), `${this.#serial()}\n`);
    const config = ['-config', cnf];
    this.#openssl(['req', '-new', ...config, '-key', key, '-subj', order.subject, '-out', csr]);
    const signer =
      order.signer === null
        ? ['-selfsign', '-keyfile', key, '-extensions', 'ca_ext']
        : ['-cert', order.signer.certificate, '-keyfile', order.signer.key, '-extensions', 'leaf_ext'];
    const dates = ['-startdate', opensslTime(order.start), '-enddate', opensslTime(order.end)];
    this.#openssl(['ca', ...config, '-batch', '-notext', ...signer, ...dates, '-in', csr, '-out', pem]);
    return { keyPem, pem: readFileSync(pem, 'utf8') };
  }

  #openssl(args: string[]): string {
    return this.#deps.openssl(args);
  }

  #random(size: number): Uint8Array {
    return (this.#deps.randomBytes ?? cryptoRandomBytes)(size);
  }

  /** 16 bytes, positive with the top byte never zero (so always 16 bytes long): 126 random bits. */
  #serial(): string {
    const bytes = Buffer.from(this.#random(16));
    bytes[0] = ((bytes[0] as number) & 0x7f) | 0x40;
    return bytes.toString('hex').toUpperCase();
  }
}

function opensslConfig(work: string, sans: SanSet | null): string {
  const alt =
    sans === null
      ? []
      : [
          ...sans.dns.map((name, index) => `DNS.${index + 1} = ${name}`),
          ...sans.ips.map((ip, index) => `IP.${index + 1} = ${ip}`),
        ];
  return `[ ca ]
default_ca = appliance_ca

[ appliance_ca ]
database = ${join(work, 'index.txt')}
new_certs_dir = ${work}
serial = ${join(work, 'serial')}
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none

[ policy_any ]
commonName = supplied

[ req ]
distinguished_name = req_dn
prompt = no

[ req_dn ]
CN = SLM-Copilot

[ ca_ext ]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash

[ leaf_ext ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
${alt.length === 0 ? '' : 'subjectAltName = @leaf_alt\n\n[ leaf_alt ]\n'}${alt.join('\n')}
`;
}

/** Whole seconds, a day back. */
const backdated = (now: Date) => new Date(Math.floor((now.getTime() - BACKDATE_MS) / 1000) * 1000);

/** YYYYMMDDHHMMSSZ, which `openssl ca -startdate/-enddate` accepts (it writes UTCTime until 2049 as RFC 5280 asks). */
const opensslTime = (date: Date) =>
  `${date
    .toISOString()
    .replace(/\.\d+Z$/, '')
    .replace(/[-T:]/g, '')}Z`;

function writeIfChanged(path: string, content: string, mode: number): boolean {
  if (existsSync(path) && readFileSync(path, 'utf8') === content) {
    ensureMode(path, mode);
    return false;
  }
  writeAtomically(path, content, mode);
  return true;
}

function ensureMode(path: string, mode: number): void {
  if (existsSync(path) && (statSync(path).mode & 0o7777) !== mode) chmodSync(path, mode);
}

function ensureDirectory(path: string, mode: number): void {
  mkdirSync(path, { recursive: true, mode });
  ensureMode(path, mode);
}

function syncDirectory(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
