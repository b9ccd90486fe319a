/**
 * Process helpers for the guest harness: commands with their output shown or captured, and the heavy disk work
 * (debootstrap, mke2fs, qemu-img, cp) under `nice -n 10` because the machine's two cores are shared.
 */
import { spawn } from 'node:child_process';

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Run under `nice -n 10`. */
  readonly nice?: boolean;
  /** Print the command's output as it comes (prefixed), instead of only keeping it. */
  readonly echo?: boolean;
  readonly input?: string;
}

export interface RunResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function log(message: string): void {
  process.stderr.write(`[guest ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** Runs a command to completion; never throws for a non-zero exit (see `must`). */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const [file, argv] = options.nice ? ['nice', ['-n', '10', command, ...args]] : [command, [...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (options.echo) process.stderr.write(chunk);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (options.echo) process.stderr.write(chunk);
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ status: code ?? (signal ? 128 : 1), stdout, stderr }));
  });
}

/** Runs a command and throws with its output when it fails. */
export async function must(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const result = await run(command, args, options);
  if (result.status !== 0) {
    const tail = `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-40).join('\n');
    throw new Error(`${command} ${args.join(' ')} exited with ${result.status}:\n${tail}`);
  }
  return result;
}
