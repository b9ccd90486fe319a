/** Parsers for the plain value kinds of the context variables. Each returns a value or every problem. */

import { COPILOT_ROLES, type CopilotRole, SERVICE_SECRET_MIN_LENGTH } from '../facts/oneflow.ts';
import { maskSecret, quote } from './mask.ts';
import { ok, type Parsed, refused } from './types.ts';

export function parseInteger(text: string, min: number, max: number, unit = ''): Parsed<number> {
  const suffix = unit ? ` ${unit}` : '';
  if (!/^[0-9]+$/.test(text.trim())) {
    return refused(
      `${quote(text)} is not a whole number; expected an integer from ${min} to ${max}${suffix}.`,
    );
  }
  const value = Number.parseInt(text.trim(), 10);
  if (value < min || value > max) {
    return refused(`${value} is out of range; expected an integer from ${min} to ${max}${suffix}.`);
  }
  return ok(value);
}

/** `auto` (any case) or an integer in range. */
export function parseAutoOrInteger(
  text: string,
  min: number,
  max: number,
  unit = '',
): Parsed<'auto' | number> {
  if (text.trim().toLowerCase() === 'auto') return ok('auto');
  const parsed = parseInteger(text, min, max, unit);
  if (parsed.ok) return parsed;
  const suffix = unit ? ` ${unit}` : '';
  return refused(`${quote(text)} is neither "auto" nor an integer from ${min} to ${max}${suffix}.`);
}

const NAME_PATTERN = /^[A-Za-z0-9_.-]{1,32}$/;

export function parseUserName(text: string): Parsed<string> {
  if (NAME_PATTERN.test(text)) return ok(text);
  return refused(
    `${quote(text)} is not a valid user name; expected 1 to 32 letters, digits, '.', '_' or '-' (no spaces or colons).`,
  );
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** A fully qualified domain name as Let's Encrypt accepts it: no IP, no wildcard, at least two labels. */
export function parseDomain(text: string): Parsed<string> {
  const domain = text.trim().toLowerCase().replace(/\.$/, '');
  if (IPV4.test(domain) || domain.includes(':')) {
    return refused(
      `${quote(text)} is an IP address; Let's Encrypt needs a DNS name (e.g. copilot.example.com) that resolves to this VM. Leave it empty to use the appliance's own CA.`,
    );
  }
  const labels = domain.split('.');
  const badLabel = labels.find((label) => !LABEL.test(label));
  if (
    labels.length < 2 ||
    badLabel !== undefined ||
    domain.length > 253 ||
    /^[0-9]+$/.test(labels.at(-1) ?? '')
  ) {
    return refused(
      `${quote(text)} is not a fully qualified domain name; expected something like copilot.example.com (letters, digits and '-', at least two labels, no wildcard).`,
    );
  }
  return ok(domain);
}

const EMAIL = /^[^\s@"',;<>]+@[^\s@"',;<>]+\.[^\s@"',;<>]+$/;

export function parseEmail(text: string): Parsed<string> {
  const email = text.trim();
  if (EMAIL.test(email)) return ok(email);
  return refused(`${quote(text)} does not look like an e-mail address; expected e.g. admin@example.com.`);
}

export type CorsOrigins = '*' | readonly string[];

/** `*`, or a comma-separated list of origins (scheme://host[:port], no path). */
export function parseCorsOrigins(text: string): Parsed<CorsOrigins> {
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 1 && entries[0] === '*') return ok('*');
  if (entries.length === 0)
    return refused('no origin given; expected "*" or origins such as https://ide.example.com.');
  const problems: string[] = [];
  const origins: string[] = [];
  for (const entry of entries) {
    const origin = normaliseOrigin(entry);
    if (origin === null) {
      problems.push(
        `${quote(entry)} is not an origin; expected "*" or scheme://host[:port] without a path, e.g. https://ide.example.com.`,
      );
    } else if (!origins.includes(origin)) {
      origins.push(origin);
    }
  }
  return problems.length > 0 ? refused(...problems) : ok(origins);
}

function normaliseOrigin(entry: string): string | null {
  if (entry === '*' || !/^https?:\/\//i.test(entry)) return null;
  try {
    const url = new URL(entry);
    const bare = url.pathname === '/' && url.search === '' && url.hash === '' && url.username === '';
    return bare && !entry.replace(/^https?:\/\//i, '').includes('/') ? url.origin : null;
  } catch {
    return null;
  }
}

/** A Basic auth password chosen by the operator. */
export function parsePassword(text: string): Parsed<string> {
  const shown = maskSecret(text);
  const problems: string[] = [];
  if (text.length < 12 || text.length > 128) {
    problems.push(`${shown} is too ${text.length < 12 ? 'short' : 'long'}; expected 12 to 128 characters.`);
  }
  if (/[\s\p{Cc}]/u.test(text)) {
    problems.push(`${shown} contains white space or control characters; use printable characters only.`);
  }
  return problems.length > 0 ? refused(...problems) : ok(text);
}

export function parseRole(text: string): Parsed<CopilotRole> {
  const role = text.trim().toLowerCase();
  const known = COPILOT_ROLES.find((candidate) => candidate === role);
  if (known !== undefined) return ok(known);
  return refused(
    `${quote(text)} is not a role; expected ${COPILOT_ROLES.join(', ')} (empty is standalone; a OneFlow service template sets front or worker per role).`,
  );
}

/** The secret a OneFlow service's front authenticates to its workers with. */
export function parseServiceSecret(text: string): Parsed<string> {
  const shown = maskSecret(text);
  const problems: string[] = [];
  if (text.length < SERVICE_SECRET_MIN_LENGTH || text.length > 256) {
    problems.push(
      `${shown} is too ${text.length < SERVICE_SECRET_MIN_LENGTH ? 'short' : 'long'}; expected ${SERVICE_SECRET_MIN_LENGTH} to 256 characters (e.g. openssl rand -hex 32).`,
    );
  }
  // It is written into the worker's nginx configuration as a quoted string.
  if (/[\s\p{Cc}"\\]/u.test(text)) {
    problems.push(
      `${shown} contains white space, control characters, a double quote or a backslash; use other printable characters.`,
    );
  }
  return problems.length > 0 ? refused(...problems) : ok(text);
}

/** A dotted-quad IPv4 address (a OneFlow worker's front). */
export function parseIpv4(text: string): Parsed<string> {
  const address = text.trim();
  const parts = address.split('.');
  if (parts.length === 4 && parts.every((part) => /^(0|[1-9][0-9]{0,2})$/.test(part) && Number(part) <= 255))
    return ok(address);
  return refused(
    `${quote(text)} is not an IPv4 address; expected four numbers from 0 to 255 joined by dots, e.g. 10.0.0.5 (the service template sets the front's address).`,
  );
}
