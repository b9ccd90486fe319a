/** `slm-copilot check URL`: argument parsing and output for the post-deployment validation. */
import type { Command } from 'commander';
import { checkJson, summaryLine } from '../client/check/checkOutput.ts';
import { CHECKS, runCheck } from '../client/check/runCheck.ts';
import { credentialsFrom } from '../client/net/credentials.ts';
import { progressLine } from '../client/output/progress.ts';
import { resultLines } from '../client/output/render.ts';
import { MODEL } from '../core/facts/model.ts';
import { VERSION } from '../core/facts/version.ts';
import type { Cli } from './cli.ts';
import {
  type ConnectionOptions,
  positiveNumber,
  targetOf,
  trustFrom,
  warnInsecure,
  withConnectionOptions,
} from './commandOptions.ts';
import { styler } from './terminal.ts';

const ID_WIDTH = Math.max(...CHECKS.map(([id]) => id.length));

interface CheckOptions extends ConnectionOptions {
  json?: boolean;
  model: string;
  origin: string;
  timeout: string;
}

export function registerCheckCommand(program: Command, { io, action }: Cli): void {
  const { env } = io;
  withConnectionOptions(
    program
      .command('check')
      .argument('<url>', 'the appliance, e.g. https://192.0.2.10 (with or without /v1)')
      .description(
        'Validate a deployment end to end: TLS, health, auth, CORS, the model, streaming, Cline-shaped requests, closed admin routes. Exit 0 only when every check passes (1 failed, 2 usage, 3 not fully verified).',
      ),
  )
    .option('--model <id>', 'model id Cline will use', MODEL.id)
    .option('--origin <origin>', 'browser origin for the CORS preflight', 'https://example.com')
    .option('--timeout <seconds>', 'per completion request (a cold CPU prompt takes a while)', '600')
    .option('--json', 'print one JSON object (for CI) instead of text')
    .action(
      action(async (url: string, options: CheckOptions) => {
        const target = targetOf(url);
        const timeoutMs = positiveNumber(options.timeout, '--timeout') * 1000;
        const out = { stream: io.stdout, env };
        const paint = styler(out);
        if (options.insecure) warnInsecure(target.host, io);
        if (!options.json) io.stdout.write(`slm-copilot check ${target.origin} (model ${options.model})\n`);
        const run = await runCheck(
          {
            target,
            trust: trustFrom(options),
            credentials: credentialsFrom(options, env),
            model: options.model,
            origin: options.origin,
            timeoutMs,
            now: new Date(),
          },
          {
            ...(options.json
              ? {}
              : {
                  onResult: (result) =>
                    io.stdout.write(`${resultLines([result], paint, ID_WIDTH).join('\n')}\n`),
                }),
            progress: progressLine(io.stderr),
          },
        );
        if (options.json) {
          const report = checkJson({
            version: VERSION,
            url: target.origin,
            model: options.model,
            insecure: options.insecure === true,
            results: run.results,
            exitCode: run.exitCode,
          });
          io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        } else {
          io.stdout.write(`${summaryLine(run.results, run.exitCode, paint)}\n`);
        }
        return run.exitCode;
      }),
    );
}
