/** What every command gets from main: the process's streams and environment, and how an action returns its exit code. */
import type { Readable, Writable } from 'node:stream';

export interface CliIo {
  readonly stdout: Writable & { isTTY?: boolean; columns?: number };
  readonly stderr: Writable & { isTTY?: boolean; columns?: number };
  /** Questions on a terminal (cline's fingerprint). */
  readonly stdin: Readable & { isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
  /** The file this program runs from (install copies it into the image). */
  readonly program: string;
}

/** An action body returns its exit code; a stop is a thrown Failure (src/core/lib/failure.ts), caught in main. */
export type Action = <A extends unknown[]>(
  body: (...args: A) => number | Promise<number>,
) => (...args: A) => Promise<void>;

export interface Cli {
  readonly io: CliIo;
  readonly action: Action;
}

/** One line to a stream. */
export const writeLine = (stream: Writable) => (line: string) => void stream.write(`${line}\n`);
