// TEST STAND-IN for LocalAI (mimics the v4.9.0 HTTP API). Not the product, never shipped or bundled; a tool under tools/ only.
// Runs the stand-in as a process, for demos and benchmarks (e.g. `slm-copilot sandbox --upstream URL`):
//
//   npx tsx tools/standin/main.ts --port 18080 [--host 127.0.0.1] [--first-byte-delay-ms N] [--chunk-interval-ms N]
//       [--prompt-tokens-per-second N] [--decode-tokens-per-second N] [--context-size N] [--slots N] [--api-key K]...
//
// Prints `ready http://HOST:PORT` once listening and runs until SIGTERM or SIGINT.
import { parseArgs } from 'node:util';
import { type StandinOptions, startLocalaiStandin } from './localaiStandin.ts';

const USAGE =
  'usage: main.ts [--port N] [--host H] [--first-byte-delay-ms N] [--chunk-interval-ms N] ' +
  '[--prompt-tokens-per-second N] [--decode-tokens-per-second N] [--context-size N] [--slots N] [--api-key K]...';

function fail(message: string): never {
  console.error(`localai-standin: ${message}\n${USAGE}`);
  process.exit(2);
}

function number(values: Record<string, unknown>, name: string, min: number): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) fail(`--${name} must be a number ≥ ${min}, got ${JSON.stringify(raw)}`);
  return n;
}

function options(): StandinOptions {
  let values: Record<string, unknown>;
  try {
    values = parseArgs({
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'first-byte-delay-ms': { type: 'string' },
        'chunk-interval-ms': { type: 'string' },
        'prompt-tokens-per-second': { type: 'string' },
        'decode-tokens-per-second': { type: 'string' },
        'context-size': { type: 'string' },
        slots: { type: 'string' },
        'api-key': { type: 'string', multiple: true },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    return fail((err as Error).message);
  }
  const port = number(values, 'port', 0);
  const firstByteDelayMs = number(values, 'first-byte-delay-ms', 0);
  const chunkIntervalMs = number(values, 'chunk-interval-ms', 0);
  const promptTokensPerSecond = number(values, 'prompt-tokens-per-second', 1);
  const decodeTokensPerSecond = number(values, 'decode-tokens-per-second', 1);
  const contextSize = number(values, 'context-size', 1);
  const slots = number(values, 'slots', 1);
  const apiKeys = values['api-key'] as string[] | undefined;
  return {
    ...(port !== undefined ? { port } : {}),
    ...(typeof values.host === 'string' ? { host: values.host } : {}),
    ...(firstByteDelayMs !== undefined ? { firstByteDelayMs } : {}),
    ...(chunkIntervalMs !== undefined ? { chunkIntervalMs } : {}),
    ...(promptTokensPerSecond !== undefined ? { promptTokensPerSecond } : {}),
    ...(decodeTokensPerSecond !== undefined ? { decodeTokensPerSecond } : {}),
    ...(contextSize !== undefined ? { contextSize } : {}),
    ...(slots !== undefined ? { slots } : {}),
    ...(apiKeys ? { apiKeys } : {}),
  };
}

const standin = await startLocalaiStandin(options());
console.log(`ready ${standin.url}`);

let stopping = false;
async function stop(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`localai-standin: ${signal}, ${standin.requests.length} request(s) served, stopping`);
  await standin.close();
  process.exit(0);
}
process.on('SIGTERM', (signal) => void stop(signal));
process.on('SIGINT', (signal) => void stop(signal));
