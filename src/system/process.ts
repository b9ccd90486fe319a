/**
 * The one way the program runs another program (the dependency rule lets nothing else import child_process).
 * runSync and run wait for the end and never throw: they return the exit status, the captured output and, when
 * the program could not run or did not finish, why. succeeded turns an unsuccessful run into the one failure
 * message, `<command> failed: <why>`. start is for a child that lives on (nginx in the sandbox).
 */
import { type ChildProcess, type SpawnOptions, spawn, spawnSync } from 'node:child_process';
import { Failure } from '../core/lib/failure.ts';

export type { ChildProcess };

/** What becomes of an output stream: captured into the result (default), shown as it comes, or dropped. */
export type OutputMode = 'capture' | 'inherit' | 'ignore';

export interface RunOptions {
  /** Written to the program's standard input (none otherwise). */
  readonly input?: string;
  readonly cwd?: string;
  /** The whole environment of the program (this process's when absent). */
  readonly env?: NodeJS.ProcessEnv;
  /** SIGKILL after this long; the result then says 'timeout'. */
  readonly timeoutMs?: number;
  /** Ends the program (SIGTERM); the result then says 'aborted'. Only for run. */
  readonly signal?: AbortSignal;
  readonly stdout?: OutputMode;
  readonly stderr?: OutputMode;
}

/** Why a program did not run to its end: not installed, out of time, stopped by the caller, or another error. */
export type Interruption = 'not-found' | 'timeout' | 'aborted' | { readonly error: string };

export interface Ran {
  /** The command line, for messages. */
  readonly command: string;
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  /** The last STDERR_KEPT characters of standard error. */
  readonly stderr: string;
  readonly interrupted: Interruption | null;
}

const STDERR_KEPT = 4096;

const stdio = (options: RunOptions): SpawnOptions['stdio'] => {
  const mode = (output: OutputMode | undefined) =>
    output === undefined || output === 'capture' ? 'pipe' : output;
  return [options.input === undefined ? 'ignore' : 'pipe', mode(options.stdout), mode(options.stderr)];
};

const commandLine = (command: string, args: readonly string[]) => [command, ...args].join(' ');

function interruption(error: NodeJS.ErrnoException | undefined, timedOut: boolean): Interruption | null {
  if (timedOut || error?.code === 'ETIMEDOUT') return 'timeout';
  if (error === undefined) return null;
  if (error.code === 'ENOENT') return 'not-found';
  if (error.name === 'AbortError') return 'aborted';
  return { error: error.message };
}

/** Runs a program to its end, blocking. */
export function runSync(command: string, args: readonly string[], options: RunOptions = {}): Ran {
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    stdio: stdio(options),
    maxBuffer: 256 << 20,
    ...(options.input === undefined ? {} : { input: options.input }),
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs, killSignal: 'SIGKILL' }),
  });
  return {
    command: commandLine(command, args),
    status: result.status,
    signal: result.signal,
    stdout: result.stdout ?? '',
    stderr: (result.stderr ?? '').slice(-STDERR_KEPT),
    interrupted: interruption(result.error, false),
  };
}

/** Runs a program to its end without blocking this process. */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      stdio: stdio(options),
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      ...(options.env === undefined ? {} : { env: options.env }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    let stdout = '';
    let stderr = '';
    let failed: NodeJS.ErrnoException | undefined;
    let timedOut = false;
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_KEPT);
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, options.timeoutMs);
    child.once('error', (error: NodeJS.ErrnoException) => {
      failed = error;
    });
    child.once('close', (status, signal) => {
      clearTimeout(timer);
      resolve({
        command: commandLine(command, args),
        status,
        signal,
        stdout,
        stderr,
        interrupted: options.signal?.aborted === true ? 'aborted' : interruption(failed, timedOut),
      });
    });
  });
}

/** The program ran to its end with status 0. */
export const ranOk = (ran: Ran): boolean => ran.interrupted === null && ran.status === 0;

/** Why an unsuccessful run failed: what it said on standard error, or how it ended. */
export function whyFailed(ran: Ran): string {
  const stderr = ran.stderr.trim();
  if (ran.interrupted === 'not-found') return `${ran.command.split(' ')[0]} is not installed (not found)`;
  if (ran.interrupted === 'timeout') return 'it did not finish in time';
  if (ran.interrupted === 'aborted') return 'it was stopped';
  if (ran.interrupted !== null) return ran.interrupted.error;
  if (stderr !== '') return stderr;
  return ran.signal === null ? `exit status ${ran.status}` : `killed by ${ran.signal}`;
}

/** The standard output of a successful run; a Failure `<command> failed: <why>` otherwise. */
export function succeeded(ran: Ran): string {
  if (ranOk(ran)) return ran.stdout;
  throw new Failure('failed', `${ran.command} failed: ${whyFailed(ran)}`);
}

/** A child that lives on (a server); its output goes where this process's goes. */
export function start(command: string, args: readonly string[]): ChildProcess {
  return spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
}
