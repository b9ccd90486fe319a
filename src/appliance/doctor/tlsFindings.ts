/** The served certificate: expiry, whether it covers the report's endpoint and the VM's addresses, the CA. Pure. */
import { isIP } from 'node:net';
import { certificatesOf } from '../../core/lib/certificates.ts';
import { daysUntil } from '../../core/lib/fingerprint.ts';
import { fail, pass, type Result, warn } from '../../core/lib/result.ts';
import type { Report } from './reportFindings.ts';

const ID = 'certificate';
const TITLE = 'TLS certificate';

export function certificateFindings(
  certificatePem: string | null,
  caPublicPem: string | null,
  report: Report | null,
  addresses: readonly string[] | null,
  now: Date,
): Result[] {
  if (certificatePem === null) {
    return [
      fail(ID, TITLE, {
        reason: 'no certificate at /var/lib/slm-copilot/tls/server.pem',
        cause: 'configure has not run, or its TLS step failed',
        fix: 'run slm-copilot configure and read what it says',
      }),
    ];
  }
  let leaf: ReturnType<typeof certificatesOf>[number] | undefined;
  try {
    leaf = certificatesOf(certificatePem)[0];
  } catch {
    leaf = undefined;
  }
  if (leaf === undefined) {
    return [
      fail(ID, TITLE, {
        reason: 'server.pem holds no readable certificate',
        cause: 'a damaged file',
        fix: 'run slm-copilot configure to issue a new one',
      }),
    ];
  }
  const results: Result[] = [];
  const days = daysUntil(new Date(leaf.validTo), now);
  const endpoint = report?.get('Connection')?.get('endpoint');
  const names = [
    ...(endpoint === undefined ? [] : [new URL(endpoint).hostname.replace(/^\[(.*)\]$/, '$1')]),
    ...(addresses ?? []),
  ];
  const uncovered = [...new Set(names)].filter((name) =>
    isIP(name) === 0 ? leaf.checkHost(name) === undefined : leaf.checkIP(name) === undefined,
  );
  const sans = leaf.subjectAltName ?? leaf.subject;
  if (days < 0) {
    results.push(
      fail(ID, TITLE, {
        reason: `the certificate expired ${-days} days ago (${leaf.validTo})`,
        cause: 'the daily renewal did not run',
        fix: 'run slm-copilot renew; systemctl status slm-copilot-renew.timer',
      }),
    );
  } else if (days < 21) {
    results.push(
      fail(ID, TITLE, {
        reason: `the certificate expires in ${days} days (${leaf.validTo})`,
        cause: 'the daily renewal (30 days ahead) is not running or fails',
        fix: 'run slm-copilot renew; systemctl status slm-copilot-renew.timer',
      }),
    );
  } else if (uncovered.length > 0) {
    results.push(
      fail(ID, TITLE, {
        reason: `the certificate does not cover ${uncovered.join(', ')} (it names ${sans})`,
        cause: "the VM's address or name changed since it was issued",
        fix: 'run slm-copilot configure (or reboot): the appliance CA re-issues its certificate for the current addresses; an operator certificate must be replaced',
      }),
    );
  } else {
    results.push(
      pass(
        ID,
        TITLE,
        `expires in ${days} days; covers ${names.length > 0 ? [...new Set(names)].join(', ') : sans}`,
      ),
    );
  }
  const reported = report?.get('TLS')?.get('ca_fingerprint_sha256');
  if (caPublicPem !== null && reported !== undefined) {
    const served = certificatesOf(caPublicPem).at(-1)?.fingerprint256;
    if (served !== undefined && served !== reported) {
      results.push(
        warn('ca-fingerprint', 'CA fingerprint in the report', {
          reason: `/ca.pem has ${served}, the report says ${reported}`,
          cause: 'the report is older than the current CA or certificate',
          fix: 'reboot the VM (bootstrap rewrites the report); give developers the new fingerprint',
        }),
      );
    } else {
      results.push(
        pass('ca-fingerprint', 'CA fingerprint in the report', `matches /ca.pem (${reported.slice(0, 11)}…)`),
      );
    }
  }
  return results;
}
