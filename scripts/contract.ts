// Runs the LocalAI contract (tools/standin/contract.ts, the assertions the TEST STAND-IN is held to) against a real
// server, e.g. a LocalAI v4.9.0 serving devstral-small-2. Development tool, not shipped.
//
//   npx tsx scripts/contract.ts --upstream http://127.0.0.1:8080 [--api-key K] [--context-size 32768] [--model ID]
//
// Prints one PASS / FAIL / SKIP line per check; exits 1 when a check failed, 2 on bad arguments.
import { parseArgs } from 'node:util';
import { formatResult, runContract } from '../tools/standin/contract.ts';

const USAGE =
  'usage: contract --upstream URL [--api-key KEY] [--context-size N] [--model ID] [--timeout-seconds N] [--prompt-cache]';

function fail(message: string): never {
  console.error(`contract: ${message}\n${USAGE}`);
  process.exit(2);
}

function positiveInteger(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    fail(`--${name} must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

function parse() {
  try {
    return parseArgs({
      options: {
        upstream: { type: 'string' },
        'api-key': { type: 'string' },
        'context-size': { type: 'string' },
        model: { type: 'string' },
        'timeout-seconds': { type: 'string' },
        'prompt-cache': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (err) {
    return fail((err as Error).message);
  }
}

function upstreamUrl(value: string | undefined): URL {
  if (!value) return fail('--upstream is required');
  try {
    return new URL(value);
  } catch {
    return fail(`--upstream is not a URL: ${value}`);
  }
}

const { values } = parse();
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const upstream = upstreamUrl(values.upstream);
const contextSize = positiveInteger(values['context-size'], 'context-size');
const timeoutSeconds = positiveInteger(values['timeout-seconds'], 'timeout-seconds');
console.log(`contract: checking ${upstream.origin}${upstream.pathname.replace(/\/$/, '')}`);
const report = await runContract(upstream.toString(), {
  ...(values['api-key'] ? { apiKey: values['api-key'] } : {}),
  ...(values.model ? { model: values.model } : {}),
  ...(contextSize ? { contextSize } : {}),
  ...(timeoutSeconds ? { requestTimeoutMs: timeoutSeconds * 1000 } : {}),
  ...(values['prompt-cache'] ? { promptCache: true } : {}),
  onResult: (result) => console.log(formatResult(result)),
});
const count = (status: string) => report.results.filter((r) => r.status === status).length;
console.log(`contract: ${count('pass')} passed, ${count('fail')} failed, ${count('skip')} skipped`);
process.exit(report.ok ? 0 : 1);
