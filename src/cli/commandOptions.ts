/** Options the client commands share: the URL, trust and credentials, and their parsing. Thin. */
import type { Command } from 'commander';
import { KEY_ENV, PASSWORD_ENV } from '../client/net/credentials.ts';
import { parseTarget, type Target } from '../client/net/url.ts';
import { usageError } from '../core/lib/failure.ts';
import type { CliIo } from './cli.ts';
import { styler } from './terminal.ts';

export interface ConnectionOptions {
  key?: string;
  user?: string;
  password?: string;
  ca?: string;
  fingerprint?: string;
  insecure?: boolean;
}

export function withConnectionOptions(command: Command): Command {
  return command
    .option('--key <key>', `API key sent as Authorization: Bearer (or set ${KEY_ENV})`)
    .option('--user <user>', 'Basic auth user')
    .option('--password <password>', `Basic auth password (or set ${PASSWORD_ENV})`)
    .option('--ca <file>', 'trust only this CA (PEM), e.g. the ca.pem `slm-copilot cline` saved')
    .option(
      '--fingerprint <sha256>',
      "trust the CA with this SHA-256 fingerprint (the report's ca_fingerprint_sha256)",
    )
    .option('--insecure', 'do not verify the certificate at all (loud; the run counts as not verified)');
}

export function targetOf(url: string): Target {
  const parsed = parseTarget(url);
  if (!parsed.ok) throw usageError(parsed.message);
  return parsed.target;
}

export function positiveNumber(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw usageError(`${flag} "${text}" is not a positive number.`);
  return value;
}

/** How the server's certificate is to be trusted, from --ca, --fingerprint and --insecure. */
export function trustFrom(options: ConnectionOptions): {
  ca?: string;
  fingerprint?: string;
  insecure?: true;
} {
  return {
    ...(options.ca === undefined ? {} : { ca: options.ca }),
    ...(options.fingerprint === undefined ? {} : { fingerprint: options.fingerprint }),
    ...(options.insecure ? { insecure: true } : {}),
  };
}

/** The loud stderr line --insecure always gets. */
export function warnInsecure(host: string, io: CliIo): void {
  const err = styler({ stream: io.stderr, env: io.env });
  io.stderr.write(
    `${err('red', err('bold', 'WARNING: --insecure: the certificate is NOT verified.'))} Anyone between you and ${host} could read the key; this run can only report "not fully verified".\n`,
  );
}
