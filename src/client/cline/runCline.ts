/**
 * `slm-copilot cline URL`: fetch the appliance CA from /ca.pem, compare its fingerprint with the report's before
 * saving it (refuse on a mismatch), print what to enter in Cline and how to make VS Code trust the CA, then prove
 * it with one request from a Node.js process that trusts only the saved file.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { type Problem, usageError } from '../../core/lib/failure.ts';
import { normaliseFingerprint } from '../../core/lib/fingerprint.ts';
import { modelIds } from '../check/accessChecks.ts';
import { errorMessage, explainFailure } from '../check/serverErrors.ts';
import { evaluateTls } from '../check/tlsCheck.ts';
import { bearerHeader } from '../net/credentials.ts';
import { HttpClient } from '../net/http.ts';
import { probeTls } from '../net/tlsProbe.ts';
import { fetchServedCa, REPORT_FINGERPRINT_HINT } from '../net/trust.ts';
import type { Target } from '../net/url.ts';
import { clineSettingsLines, contextWindowFrom, type Platform, trustLines } from './clineSettings.ts';
import { fetchTrustingOnly } from './verifyWithNode.ts';

export interface ClineInput {
  readonly target: Target;
  readonly fingerprint: string | null;
  readonly key: string | null;
  readonly model: string;
  readonly out: string | null;
  readonly platform: Platform;
  readonly now: Date;
}

export interface ClineIo {
  readonly print: (line: string) => void;
  /** Asks for the report's fingerprint on a terminal; null when nobody can answer. */
  readonly ask: (question: string) => Promise<string | null>;
}

export type ClineOutcome =
  | { readonly kind: 'done'; readonly savedPath: string }
  | { readonly kind: 'refused' | 'failed'; readonly problem: Problem };

/** Where the CA is kept by default: ~/.slm-copilot/<host>-ca.pem (one file per appliance). */
export function defaultCaPath(target: Target): string {
  const name = `${target.host}${target.port === 443 ? '' : `_${target.port}`}`.replace(
    /[^A-Za-z0-9._-]/g,
    '_',
  );
  return join(homedir(), '.slm-copilot', `${name}-ca.pem`);
}

export async function runCline(input: ClineInput, io: ClineIo): Promise<ClineOutcome> {
  const { target } = input;
  if (!target.secure)
    throw usageError(`${target.origin} is not https://; Cline needs the appliance's HTTPS URL.`);
  const served = await fetchServedCa(target);
  if (!served.ok) return { kind: 'failed', problem: served.problem };
  const ca = served.certificates[0];
  if (ca === undefined) return { kind: 'failed', problem: { reason: '/ca.pem holds no certificate' } };
  io.print(`Fetched ${target.origin}/ca.pem: ${ca.subject}`);
  io.print(`  SHA-256 fingerprint ${ca.fingerprint256}`);

  const given =
    input.fingerprint ??
    (await io.ask(`Paste ${REPORT_FINGERPRINT_HINT.split(' (')[0]} from the report to compare: `));
  if (given === null || given.trim() === '') {
    throw usageError(
      `pass --fingerprint with ${REPORT_FINGERPRINT_HINT}; the CA is not saved without that comparison`,
    );
  }
  const expected = normaliseFingerprint(given);
  if (expected === null) throw usageError(`"${given}" is not a SHA-256 fingerprint (32 bytes in hex)`);
  if (!served.certificates.some((certificate) => certificate.fingerprint256 === expected)) {
    return {
      kind: 'refused',
      problem: {
        reason: `REFUSED: the CA served at ${target.origin}/ca.pem has the fingerprint ${ca.fingerprint256}, not ${expected} as expected; nothing was saved`,
        cause:
          'another server answers on this address (wrong URL, or someone in between), or the appliance CA was re-created because /var/lib/slm-copilot was lost',
        fix: `compare with ${REPORT_FINGERPRINT_HINT}; if the VM really has a new CA, pass its new fingerprint`,
      },
    };
  }
  io.print('  matches the fingerprint from the report.');

  const trust = { kind: 'ca' as const, pem: served.pem, source: 'the fetched CA' };
  const tls = evaluateTls({
    target,
    trust: { ok: true, trust },
    probe: await probeTls(target, trust),
    now: input.now,
  });
  if (tls.status === 'fail') {
    return {
      kind: 'failed',
      problem: {
        reason: tls.reason,
        ...(tls.cause ? { cause: tls.cause } : {}),
        ...(tls.fix ? { fix: tls.fix } : {}),
      },
    };
  }
  const system = await probeTls(target, { kind: 'system' });
  const publiclyTrusted = system.ok && system.chainVerified && system.identityError === null;

  const savedPath = resolve(input.out ?? defaultCaPath(target));
  mkdirSync(dirname(savedPath), { recursive: true });
  writeFileSync(savedPath, served.pem, { mode: 0o644 });
  io.print(`Saved the CA to ${savedPath}`);
  io.print('');

  const client = new HttpClient(target, trust);
  let modelsBody: string | null = null;
  let healthBody: string | null = null;
  let model = input.model;
  try {
    const health = await client.request({ path: '/health', timeoutMs: 15_000 });
    healthBody = health.ok ? health.body : null;
    if (input.key !== null) {
      const models = await client.request({
        path: '/v1/models',
        headers: bearerHeader(input.key),
        timeoutMs: 15_000,
      });
      if (models.ok && models.status === 200) {
        modelsBody = models.body;
        const ids = modelIds(models.body) ?? [];
        if (!ids.includes(model) && ids.length === 1) model = ids[0] as string;
      }
    }
  } finally {
    client.close();
  }
  for (const line of clineSettingsLines({
    baseUrl: target.baseUrl,
    key: input.key,
    model,
    contextWindow: contextWindowFrom(model, modelsBody, healthBody),
  })) {
    io.print(line);
  }
  io.print('');
  if (publiclyTrusted) {
    io.print(
      'This certificate is publicly trusted: VS Code needs no extra CA (the saved file is for curl and scripts).',
    );
  } else {
    for (const line of trustLines(savedPath, input.platform)) io.print(line);
  }
  io.print('');

  const url = input.key === null ? `${target.origin}/health` : `${target.baseUrl}/models`;
  const verified = await fetchTrustingOnly(savedPath, url, input.key);
  if (!verified.ok) {
    return {
      kind: 'failed',
      problem: {
        reason: `verification failed: a Node.js process trusting only NODE_EXTRA_CA_CERTS=${savedPath} could not fetch ${url}: ${verified.error}`,
        ...explainFailure(null, verified.error),
      },
    };
  }
  if (verified.status !== 200) {
    const message = errorMessage(verified.body);
    return {
      kind: 'failed',
      problem:
        verified.status === 401
          ? {
              reason: `verification: TLS works with the saved CA, but ${url} refused the key (401)`,
              cause: 'the key is not one of ONEAPP_COPILOT_AUTH_KEYS on this VM',
              fix: "copy api_key from the report's [Cline] section",
            }
          : {
              reason: `verification: ${url} answered ${verified.status}: ${message}`,
              ...explainFailure(verified.status, message),
            },
    };
  }
  const ids = input.key === null ? null : modelIds(verified.body);
  io.print(
    `Verified: a Node.js process trusting only NODE_EXTRA_CA_CERTS=${savedPath} fetched ${url} (200${ids === null ? '' : `, lists ${ids.join(', ')}`}).`,
  );
  if (input.key === null) io.print('Give --key to check the API key as well.');
  return { kind: 'done', savedPath };
}
