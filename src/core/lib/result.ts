/**
 * What every client tool reports: one result per check or finding, with a one-line reason and, for failures and
 * warnings, the likely cause and the fix (a Problem). Pure; rendering to text is in render.ts.
 */
import type { Problem } from './failure.ts';

export type Status = 'pass' | 'warn' | 'fail' | 'skip';

export interface Result {
  /** Stable identifier, for --json consumers and tests (e.g. "tls", "streaming"). */
  readonly id: string;
  readonly title: string;
  readonly status: Status;
  readonly reason: string;
  readonly cause?: string;
  readonly fix?: string;
  /** A skip that leaves the run short of a full verification (missing credentials, --insecure). */
  readonly incomplete?: boolean;
  /** Measurements and facts behind the verdict (times, fingerprints, …) for --json. */
  readonly data?: Readonly<Record<string, unknown>>;
}

export const pass = (id: string, title: string, reason: string, data?: Result['data']): Result => ({
  id,
  title,
  status: 'pass',
  reason,
  ...(data === undefined ? {} : { data }),
});

export const fail = (id: string, title: string, problem: Problem, data?: Result['data']): Result => ({
  id,
  title,
  status: 'fail',
  ...problem,
  ...(data === undefined ? {} : { data }),
});

export const warn = (id: string, title: string, problem: Problem, data?: Result['data']): Result => ({
  id,
  title,
  status: 'warn',
  ...problem,
  ...(data === undefined ? {} : { data }),
});

export const skip = (id: string, title: string, reason: string, incomplete = true): Result => ({
  id,
  title,
  status: 'skip',
  reason,
  ...(incomplete ? { incomplete: true } : {}),
});

export interface Tally {
  readonly pass: number;
  readonly warn: number;
  readonly fail: number;
  readonly skip: number;
}

export function tally(results: readonly Result[]): Tally {
  const count = (status: Status) => results.filter((result) => result.status === status).length;
  return { pass: count('pass'), warn: count('warn'), fail: count('fail'), skip: count('skip') };
}
