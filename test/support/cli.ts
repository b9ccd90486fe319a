/**
 * The program in this process: main(argv, io) with its output captured, as the bundle's entry calls it. For what
 * only the built bundle can show (the appliance's Node, umask 0077 under the one-apps driver, the image) the tests
 * run the bundle instead (bundle.ts).
 */
import { Readable, Writable } from 'node:stream';
import { main } from '../../src/cli/main.ts';
import { BUNDLE, type Run } from './bundle.ts';

class Captured extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** Runs `slm-copilot ARGS` in this process with the environment `env` (PATH added), and what it printed. */
export async function runMain(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  const stdout = new Captured();
  const stderr = new Captured();
  const status = await main(args, {
    stdout,
    stderr,
    stdin: Readable.from([]),
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    program: BUNDLE,
  });
  return { status, stdout: stdout.text, stderr: stderr.text };
}
