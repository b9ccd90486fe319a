/** `slm-copilot cline URL`: argument parsing and output for setting up Cline against an appliance. */
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { runCline } from '../client/cline/runCline.ts';
import { credentialsFrom, KEY_ENV } from '../client/net/credentials.ts';
import { MODEL } from '../core/facts/model.ts';
import { guarded, targetOf, UsageError } from './commandOptions.ts';
import { styler } from './terminal.ts';

interface ClineOptions {
  fingerprint?: string;
  key?: string;
  out?: string;
  model: string;
}

async function ask(question: string): Promise<string | null> {
  if (process.stdin.isTTY !== true || process.stderr.isTTY !== true) return null;
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await prompt.question(question);
  } finally {
    prompt.close();
  }
}

export function registerClineCommand(
  program: Command,
  env: NodeJS.ProcessEnv,
  setExitCode: (code: number) => void,
): void {
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
    .action((url: string, options: ClineOptions) =>
      guarded('cline', setExitCode, async () => {
        const paint = styler({ stream: process.stdout, env });
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
          { print: (line) => process.stdout.write(`${line}\n`), ask },
        );
        if (outcome.kind === 'usage') throw new UsageError(outcome.message);
        if (outcome.kind === 'done') return 0;
        const { problem } = outcome;
        const lines = [
          paint('red', problem.reason),
          ...(problem.cause === undefined ? [] : [`  cause: ${problem.cause}`]),
          ...(problem.fix === undefined ? [] : [`  fix:   ${problem.fix}`]),
        ];
        process.stderr.write(`${lines.join('\n')}\n`);
        return 1;
      }),
    );
}
