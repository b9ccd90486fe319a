/** `slm-copilot cline URL`: argument parsing and output for setting up Cline against an appliance. */
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { runCline } from '../client/cline/runCline.ts';
import { credentialsFrom, KEY_ENV } from '../client/net/credentials.ts';
import { MODEL } from '../core/facts/model.ts';
import { EXIT } from '../core/lib/failure.ts';
import type { Cli, CliIo } from './cli.ts';
import { targetOf } from './commandOptions.ts';
import { styler } from './terminal.ts';

interface ClineOptions {
  fingerprint?: string;
  key?: string;
  out?: string;
  model: string;
}

async function ask(io: CliIo, question: string): Promise<string | null> {
  if (io.stdin.isTTY !== true || io.stderr.isTTY !== true) return null;
  const prompt = createInterface({ input: io.stdin, output: io.stderr });
  try {
    return await prompt.question(question);
  } finally {
    prompt.close();
  }
}

export function registerClineCommand(program: Command, { io, action }: Cli): void {
  const { env } = io;
  program
    .command('cline')
    .argument('<url>', 'the appliance, e.g. https://192.0.2.10')
    .description(
      "Set up Cline: fetch the appliance CA, compare its fingerprint with the report's, save it, print Cline's settings and how to make VS Code trust the CA, and verify with one request.",
    )
    .option(
      '--fingerprint <sha256>',
      "the report's ca_fingerprint_sha256 (asked for on a terminal when missing)",
    )
    .option('--key <key>', `API key to show and verify (or set ${KEY_ENV})`)
    .option('--out <file>', 'where to save the CA (default ~/.slm-copilot/<host>-ca.pem)')
    .option('--model <id>', 'model id', MODEL.id)
    .action(
      action(async (url: string, options: ClineOptions) => {
        const paint = styler({ stream: io.stdout, env });
        const platform =
          process.platform === 'darwin' || process.platform === 'win32' ? process.platform : 'linux';
        const outcome = await runCline(
          {
            target: targetOf(url),
            fingerprint: options.fingerprint ?? null,
            key: credentialsFrom(options, env).key,
            model: options.model,
            out: options.out ?? null,
            platform,
            now: new Date(),
          },
          { print: (line) => io.stdout.write(`${line}\n`), ask: (question) => ask(io, question) },
        );
        if (outcome.kind === 'done') return EXIT.ok;
        const { problem } = outcome;
        const lines = [
          paint('red', problem.reason),
          ...(problem.cause === undefined ? [] : [`  cause: ${problem.cause}`]),
          ...(problem.fix === undefined ? [] : [`  fix:   ${problem.fix}`]),
        ];
        io.stderr.write(`${lines.join('\n')}\n`);
        return EXIT.failed;
      }),
    );
}
