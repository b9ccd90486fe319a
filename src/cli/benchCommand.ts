/** `slm-copilot bench URL`: argument parsing and output for the benchmark at coding-agent prompt sizes. */
import type { Command } from 'commander';
import { benchJson, benchTable, diagnosisLines, failureLines } from '../client/bench/benchOutput.ts';
import { parseSize } from '../client/bench/conversation.ts';
import { runBench } from '../client/bench/runBench.ts';
import { warmupLine } from '../client/bench/warmupState.ts';
import { credentialsFrom } from '../client/net/credentials.ts';
import { progressLine } from '../client/output/progress.ts';
import { resultLines } from '../client/output/render.ts';
import { MODEL } from '../core/facts/model.ts';
import { VERSION } from '../core/facts/version.ts';
import { EXIT, usageError } from '../core/lib/failure.ts';
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

interface BenchOptions extends ConnectionOptions {
  json?: boolean;
  model: string;
  sizes: string;
  repeat: string;
  maxTokens: string;
  timeout: string;
}

function sizesOf(text: string): number[] {
  const sizes = text.split(',').map((part) => {
    const size = parseSize(part);
    if (size === null) throw usageError(`--sizes: "${part}" is not a prompt size such as 1k, 4k or 16384.`);
    return size;
  });
  return [...new Set(sizes)].sort((a, b) => a - b);
}

export function registerBenchCommand(program: Command, { io, action }: Cli): void {
  const { env } = io;
  withConnectionOptions(
    program
      .command('bench')
      .argument(
        '<url>',
        'the appliance, e.g. https://192.0.2.10 (or http://127.0.0.1:8080 for LocalAI itself)',
      )
      .description(
        'Measure time to first token, prefill and decode speed at ~1k, 4k and 16k-token code prompts, and prompt-cache reuse on a second turn. A cold 16k prompt on a CPU takes minutes.',
      ),
  )
    .option('--model <id>', 'model id', MODEL.id)
    .option('--sizes <list>', 'prompt sizes in tokens', '1k,4k,16k')
    .option('--repeat <n>', 'runs per size (medians are shown)', '1')
    .option('--max-tokens <n>', 'tokens generated per request', '64')
    .option('--timeout <seconds>', 'per request', '1800')
    .option('--json', 'print one JSON object instead of the table')
    .action(
      action(async (url: string, options: BenchOptions) => {
        const target = targetOf(url);
        const sizes = sizesOf(options.sizes);
        const repeat = Math.round(positiveNumber(options.repeat, '--repeat'));
        const maxTokens = Math.max(2, Math.round(positiveNumber(options.maxTokens, '--max-tokens')));
        const paint = styler({ stream: io.stdout, env });
        if (!target.secure && !/^(127\.|localhost$|::1$)/.test(target.host)) {
          const err = styler({ stream: io.stderr, env });
          io.stderr.write(
            `${err('red', err('bold', `WARNING: ${target.origin} is plain HTTP:`))} the key and the prompts cross the network unencrypted.\n`,
          );
        }
        if (options.insecure) warnInsecure(target.host, io);
        const run = await runBench(
          {
            target,
            trust: trustFrom(options),
            credentials: credentialsFrom(options, env),
            model: options.model,
            sizes,
            repeat,
            maxTokens,
            timeoutMs: positiveNumber(options.timeout, '--timeout') * 1000,
            now: new Date(),
          },
          { progress: progressLine(io.stderr, !options.json) },
        );
        if (run.kind === 'untrusted') {
          io.stderr.write(`${resultLines([run.tls], paint).join('\n')}\n`);
          return EXIT.failed;
        }
        if (options.json) {
          const report = benchJson({
            version: VERSION,
            url: target.origin,
            model: options.model,
            repeat,
            maxTokens,
            ...run,
          });
          io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
          return run.exitCode;
        }
        const lines = [
          `slm-copilot bench ${target.origin} (model ${options.model}, ${maxTokens} tokens per answer)`,
          '',
          ...benchTable(run.summaries, repeat),
          ...(run.exitCode === 0
            ? []
            : ['', paint('red', 'Failed requests:'), ...failureLines(run.summaries)]),
          '',
          ...diagnosisLines(run.diagnoses, paint),
          '',
          warmupLine(run.warmup),
        ];
        io.stdout.write(`${lines.join('\n')}\n`);
        return run.exitCode;
      }),
    );
}
