/**
 * The front's HTTPS connection to one worker, trusting exactly that worker's CA: the worker publishes the CA's
 * SHA-256 fingerprint to OneGate, the front fetches `GET /ca.pem` from the worker once, keeps it only if its
 * fingerprint is the published one, and from then on verifies the worker's chain against that CA alone. Each worker
 * has its own CA, so the pinned CA is the worker's identity; the name in its certificate is not checked (the front
 * reaches workers by IP).
 */
import { X509Certificate } from 'node:crypto';
import { Agent, request } from 'node:https';

/** Colon-separated upper-case hex, as Node's `fingerprint256` and OneGate carry it. */
const normalise = (fingerprint: string) => fingerprint.replaceAll(':', '').toUpperCase();

/** The worker's CA (PEM, the last certificate of /ca.pem) if its fingerprint is `fingerprint`; an error otherwise. */
export async function fetchPinnedCa(
  baseUrl: string,
  fingerprint: string,
  timeoutMs = 10_000,
): Promise<string> {
  const text = await new Promise<string>((resolve, reject) => {
    // Unverified on purpose: what it returns is trusted only after the fingerprint check below.
    const req = request(`${baseUrl}/ca.pem`, { rejectUnauthorized: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () =>
        res.statusCode === 200 ? resolve(body) : reject(new Error(`GET /ca.pem answered ${res.statusCode}`)),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET /ca.pem: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
  const pems = text.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
  const ca = pems.at(-1);
  if (ca === undefined) throw new Error('GET /ca.pem returned no certificate');
  const served = new X509Certificate(ca).fingerprint256;
  if (normalise(served) !== normalise(fingerprint)) {
    throw new Error(
      `the CA served (${served.slice(0, 11)}…) is not the one published (${fingerprint.slice(0, 11)}…)`,
    );
  }
  return ca;
}

/** Keep-alive connections to one worker, verified against its pinned CA. */
export function pinnedAgent(caPem: string): Agent {
  return new Agent({
    ca: [caPem],
    checkServerIdentity: () => undefined,
    keepAlive: true,
    keepAliveMsecs: 1000,
    maxFreeSockets: 8,
  });
}
