/**
 * The one vocabulary of failure. A Problem says what went wrong, why it probably did and the fix; settings,
 * preflight, the artifacts, doctor and the client tools all report with it. A command that stops throws a Failure:
 * a usage error (the command line), a refusal (a context, a file or an answer that is not acceptable) or a failure
 * (the work could not be done). The CLI's main catches it once and turns it into lines and an exit code from EXIT,
 * the one table of exit codes.
 */

/** What went wrong, why it probably did, and what to do. */
export interface Problem {
  readonly reason: string;
  readonly cause?: string;
  readonly fix?: string;
}

/** A Problem as prose, for logs and messages: what, why, then `Fix: …`, each on its own line(s). */
export function problemText(problem: Problem): string {
  return [
    problem.reason,
    ...(problem.cause === undefined ? [] : [problem.cause]),
    ...(problem.fix === undefined ? [] : [`Fix: ${problem.fix}`]),
  ].join('\n');
}

/** Every exit code the program uses. */
export const EXIT = {
  ok: 0,
  /** Something failed: a check, a download, a service, a refused answer from a server. */
  failed: 1,
  /** The input was refused before anything was done: the command line, a context, a lock or manifest file. */
  refused: 2,
  /** `check`: nothing failed, but the run could not verify everything (no credentials, --insecure). */
  notVerified: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export type FailureKind = 'usage' | 'refused' | 'failed';

const EXIT_OF: Readonly<Record<FailureKind, ExitCode>> = {
  usage: EXIT.refused,
  refused: EXIT.refused,
  failed: EXIT.failed,
};

export class Failure extends Error {
  override readonly name = 'Failure';
  constructor(
    readonly kind: FailureKind,
    message: string,
    /** Lines printed under the message, indented (one per problem). */
    readonly details: readonly string[] = [],
  ) {
    super(message);
  }

  get exitCode(): ExitCode {
    return EXIT_OF[this.kind];
  }
}

/** The command line is wrong: one sentence naming the flag, its value and what is expected. */
export const usageError = (message: string): Failure => new Failure('usage', message);

/** The input was refused: a heading and one line per problem. */
export const refusedError = (message: string, details: readonly string[]): Failure =>
  new Failure('refused', message, details);

/** What the one catch writes for a Failure: `<prefix>: message`, then its details indented. */
export function failureLines(prefix: string, failure: Failure): string[] {
  return [`${prefix}: ${failure.message}`, ...failure.details.map((line) => `  ${line}`)];
}
