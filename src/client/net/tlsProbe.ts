/** One TLS handshake, recorded: did the chain verify against the trust, does the certificate cover the name. */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { checkServerIdentity, connect, type DetailedPeerCertificate, type PeerCertificate } from 'node:tls';
import { type CertificateFacts, certificateFacts } from '../../core/lib/certificates.ts';
import type { Trust } from './http.ts';
import type { Target } from './url.ts';

export type { CertificateFacts } from '../../core/lib/certificates.ts';

export type TlsObservation =
  | {
      readonly ok: true;
      /** The chain verified against the trust (names not considered). */
      readonly chainVerified: boolean;
      readonly chainError: string | null;
      /** Why the certificate does not cover the host name, null when it does. */
      readonly identityError: string | null;
      readonly protocol: string | null;
      /** As presented, leaf first. */
      readonly chain: readonly CertificateFacts[];
    }
  | { readonly ok: false; readonly error: string; readonly code: string | null };

function presentedChain(leaf: DetailedPeerCertificate): X509Certificate[] {
  const chain: X509Certificate[] = [];
  const seen = new Set<string>();
  let current: DetailedPeerCertificate | undefined = leaf;
  while (current?.raw !== undefined && !seen.has(current.fingerprint256)) {
    seen.add(current.fingerprint256);
    chain.push(new X509Certificate(current.raw));
    current = current.issuerCertificate;
  }
  return chain;
}

export function probeTls(target: Target, trust: Trust, timeoutMs = 15_000): Promise<TlsObservation> {
  return new Promise((resolve) => {
    const socket = connect({
      host: target.host,
      port: target.port,
      ...(isIP(target.host) === 0 ? { servername: target.host } : {}),
      rejectUnauthorized: false,
      // Names are checked below, separately: authorizationError then says only whether the chain verified.
      checkServerIdentity: () => undefined,
      ALPNProtocols: ['http/1.1'],
      ...(trust.kind === 'ca' ? { ca: trust.pem } : {}),
    });
    const done = (observation: TlsObservation) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(observation);
    };
    const timer = setTimeout(
      () => done({ ok: false, error: `no TLS handshake within ${timeoutMs / 1000} s`, code: 'TIMEOUT' }),
      timeoutMs,
    );
    socket.once('secureConnect', () => {
      const peer = socket.getPeerCertificate(true);
      if (peer.raw === undefined) {
        done({ ok: false, error: 'the server presented no certificate', code: null });
        return;
      }
      const chain = presentedChain(peer).map(certificateFacts);
      const identity = checkServerIdentity(target.host, peer as PeerCertificate);
      const chainError = socket.authorizationError;
      done({
        ok: true,
        chainVerified: chainError === null || chainError === undefined,
        chainError: chainError === null || chainError === undefined ? null : String(chainError),
        identityError: identity === undefined ? null : identity.message,
        protocol: socket.getProtocol(),
        chain,
      });
    });
    socket.once('error', (error: NodeJS.ErrnoException) =>
      done({ ok: false, error: error.message, code: error.code ?? null }),
    );
  });
}
