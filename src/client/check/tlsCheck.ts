/** The TLS check: chain verified against the chosen trust, the name covered, days to expiry. Pure. */

import type { Problem } from '../../core/lib/failure.ts';
import { daysUntil } from '../../core/lib/fingerprint.ts';
import { fail, pass, type Result, skip } from '../../core/lib/result.ts';
import type { Trust } from '../net/http.ts';
import type { TlsObservation } from '../net/tlsProbe.ts';
import { REPORT_FINGERPRINT_HINT } from '../net/trust.ts';
import type { Target } from '../net/url.ts';
import { EXPIRY_FAIL_DAYS } from './context.ts';

const ID = 'tls';
const TITLE = 'TLS certificate';

export interface TlsInput {
  readonly target: Target;
  /** The trust decision, or why none could be made. */
  readonly trust:
    | { readonly ok: true; readonly trust: Trust }
    | { readonly ok: false; readonly problem: Problem };
  readonly probe: TlsObservation | null;
  readonly now: Date;
}

function trustLabel(trust: Trust): string {
  if (trust.kind === 'ca') return trust.source;
  if (trust.kind === 'system') return "the system's trusted roots (Node's list plus NODE_EXTRA_CA_CERTS)";
  return 'nothing (--insecure)';
}

function chainProblem(trust: Trust, error: string): Problem {
  if (/EXPIRED/.test(error)) {
    return {
      reason: `the certificate has expired (${error})`,
      cause: 'the renewal did not run: the VM was off for long, or slm-copilot-renew.timer fails',
      fix: 'on the VM run `slm-copilot renew` (or reboot); `slm-copilot doctor` shows the timer state',
    };
  }
  if (trust.kind === 'system') {
    return {
      reason: `the certificate is not trusted by ${trustLabel(trust)}: ${error}`,
      cause: 'the appliance signs its certificate with its own CA, which no system trusts until you add it',
      fix: `pass --fingerprint with ${REPORT_FINGERPRINT_HINT} (or --ca with the saved ca.pem); \`slm-copilot cline\` sets up VS Code`,
    };
  }
  return {
    reason: `the certificate does not verify against ${trustLabel(trust)}: ${error}`,
    cause:
      "this server is not signed by that CA: another server answers, or the VM now uses another certificate (Let's Encrypt or an operator certificate)",
    fix: 'fetch the current CA with `slm-copilot cline URL --fingerprint …` and compare its fingerprint with the report',
  };
}

export function evaluateTls(input: TlsInput): Result {
  const { target } = input;
  if (!target.secure) {
    return fail(ID, TITLE, {
      reason: `${target.origin} is plain HTTP: keys and code would cross the network unencrypted`,
      cause: 'the URL starts with http://',
      fix: `use https://${target.host} (the appliance serves HTTPS on port 443)`,
    });
  }
  if (!input.trust.ok) return fail(ID, TITLE, input.trust.problem);
  const trust = input.trust.trust;
  const probe = input.probe;
  if (probe === null || !probe.ok) {
    return fail(ID, TITLE, {
      reason: `no TLS connection to ${target.host}:${target.port}: ${probe === null ? 'not attempted' : probe.error}`,
      cause:
        'the VM is not reachable on this address and port (stopped, firewall or security group, wrong URL)',
      fix: `check the address in the report's base_url and that port ${target.port} is open to you`,
    });
  }
  const leaf = probe.chain[0];
  if (leaf === undefined) return fail(ID, TITLE, { reason: 'the server presented no certificate' });
  const days = daysUntil(new Date(leaf.validTo), input.now);
  const data = {
    verifiedAgainst: trustLabel(trust),
    protocol: probe.protocol,
    subjectAltNames: leaf.sans,
    expires: leaf.validTo,
    daysToExpiry: days,
    certificateFingerprint: leaf.fingerprint256,
    chainFingerprints: probe.chain.map((certificate) => certificate.fingerprint256),
    ...(trust.kind === 'ca' ? { caPinned: true } : {}),
  };
  if (trust.kind === 'insecure') {
    return {
      ...skip(
        ID,
        TITLE,
        `NOT VERIFIED (--insecure): anyone between you and ${target.host} could read the key; certificate covers ${leaf.sans.join(', ') || 'no names'}, expires in ${days} days`,
      ),
      data,
    };
  }
  if (!probe.chainVerified)
    return fail(ID, TITLE, chainProblem(trust, probe.chainError ?? 'unknown error'), data);
  if (probe.identityError !== null) {
    return fail(
      ID,
      TITLE,
      {
        reason: `the certificate does not cover ${target.host}: it names ${leaf.sans.join(', ') || leaf.subject}`,
        cause:
          'you connect with a name or address the certificate was not issued for: the VM changed address, a NAT or floating IP, or a DNS name that is not ONEAPP_COPILOT_TLS_DOMAIN',
        fix: "connect with a name it covers (the report's base_url), or make it cover this one: set ONEAPP_COPILOT_TLS_DOMAIN to this name, or reboot the VM after an address change so the appliance CA re-issues its certificate",
      },
      data,
    );
  }
  if (days < EXPIRY_FAIL_DAYS) {
    return fail(
      ID,
      TITLE,
      {
        reason: `the certificate expires in ${days} days (${leaf.validTo})`,
        cause: 'the daily renewal (slm-copilot-renew.timer) is not running or fails; it renews 30 days ahead',
        fix: 'on the VM run `slm-copilot renew`, and `slm-copilot doctor` for the timer state',
      },
      data,
    );
  }
  return pass(
    ID,
    TITLE,
    `verified against ${trustLabel(trust)}; covers ${target.host}; ${probe.protocol ?? 'TLS'}; expires in ${days} days`,
    data,
  );
}
