// TEST STAND-IN for LocalAI's `local-ai` command (v4.9.0). Not the product, never shipped in an image; lives under
// test/ only. The boot harness (tools/guest/) bundles this file with esbuild — never into dist/ — and installs it
// where the image's LocalAI binary goes, so the appliance's own install stage and rendered unit run it:
//
//   local-ai backends install --backends-path P --backends-system-path P --backend-galleries '[]' \
//       ocifile://<archive> cpu-llama-cpp llama-cpp
//       as `slm-copilot install` calls it (src/artifacts/backendArchive.ts): extracts the docker-save archive into
//       P/cpu-llama-cpp and writes metadata.json with the alias, as LocalAI does;
//   local-ai run
//       as local-ai.service runs it: no argument, and exactly the LOCALAI_* environment that
//       src/core/render/localaiEnv.ts renders. Checks what LocalAI would trip over (the model YAML and the model file
//       readable as this user, the backend installed), then serves the HTTP stand-in on LOCALAI_ADDRESS with
//       LOCALAI_API_KEY, until SIGTERM, answering at a CPU model's pace (DECODE_TOKENS_PER_SECOND, one token per
//       chunk) so that streaming through nginx and the relay is observable token by token.
//
// Anything else is refused with exit status 2 and a message naming what was expected.
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { parse } from 'yaml';
import {
  backendMetadata,
  LLAMA_CPP_BACKEND,
  verifyBackendLayout,
  writeBackendMetadata,
} from '../../src/artifacts/archives/backendArchive.ts';
import { extractDockerArchive } from '../../src/artifacts/archives/dockerArchive.ts';
import { localaiEnvironment } from '../../src/core/render/localaiEnv.ts';
import type { Sizing } from '../../src/core/sizing/sizingPlan.ts';
import { startLocalaiStandin } from './localaiStandin.ts';

const NAME = 'local-ai (LocalAI stand-in for tests)';
/** About what Devstral Small 2 decodes on a 16-core CPU; the answer is ten tokens. */
const DECODE_TOKENS_PER_SECOND = 20;
const PIECES = ['One', ' two', ' three', ' four', ' five', ' six', ' seven', ' eight', ' nine', ' ten.'];

function refuse(message: string): never {
  process.stderr.write(
    `${NAME}: ${message}\n` +
      'this stand-in implements only `local-ai run` (as local-ai.service runs it) and\n' +
      '`local-ai backends install --backends-path P --backends-system-path P --backend-galleries [] ' +
      'ocifile://<archive> cpu-llama-cpp llama-cpp` (as slm-copilot install runs it)\n',
  );
  process.exit(2);
}

function say(message: string): void {
  process.stdout.write(`${new Date().toISOString()} INF ${message}\n`);
}

/** The variable names local-ai.service's EnvironmentFile holds (values do not matter for the names). */
function expectedVariables(): string[] {
  const sizing = { threads: 1, contextSize: 1 } as unknown as Sizing;
  return localaiEnvironment(sizing, 'k').map(([name]) => name);
}

async function backendsInstall(args: readonly string[]): Promise<void> {
  const expected = ['--backends-path', '--backends-system-path', '--backend-galleries'];
  const flags = [args[0], args[2], args[4]];
  if (args.length !== 9 || flags.some((flag, index) => flag !== expected[index])) {
    refuse(`unsupported arguments to backends install: ${JSON.stringify(args)}`);
  }
  const [, backendsPath, , systemPath, , galleries, uri, name, alias] = args as string[];
  if (backendsPath !== systemPath)
    refuse(`--backends-path ${backendsPath} and --backends-system-path ${systemPath} differ`);
  if (galleries !== '[]') refuse(`--backend-galleries must be [] (no gallery), got ${galleries}`);
  if (!uri?.startsWith('ocifile:///')) refuse(`expected an ocifile://<absolute path> URI, got ${uri}`);
  if (name !== LLAMA_CPP_BACKEND.name || alias !== LLAMA_CPP_BACKEND.alias) {
    refuse(
      `expected backend ${LLAMA_CPP_BACKEND.name} with alias ${LLAMA_CPP_BACKEND.alias}, got ${name} ${alias}`,
    );
  }
  const archive = uri.slice('ocifile://'.length);
  const target = posix.join(backendsPath as string, name);
  say(`installing backend ${name} (alias ${alias}) from ${archive}`);
  await extractDockerArchive(archive, target, { platform: 'linux/amd64' });
  writeBackendMetadata(target, backendMetadata(LLAMA_CPP_BACKEND, new Date(), uri));
  const problems = verifyBackendLayout(backendsPath as string);
  if (problems.length > 0) refuse(`the installed backend is not usable:\n  ${problems.join('\n  ')}`);
  say(`backend ${name} installed in ${target}`);
}

async function serve(): Promise<void> {
  const wanted = expectedVariables();
  const present = Object.keys(process.env).filter((name) => name.startsWith('LOCALAI_'));
  const missing = wanted.filter((name) => process.env[name] === undefined);
  const unknown = present.filter((name) => !wanted.includes(name));
  if (missing.length > 0 || unknown.length > 0) {
    refuse(
      `the environment is not the one local-ai.service passes: ${missing.length > 0 ? `missing ${missing.join(' ')}` : ''}` +
        `${unknown.length > 0 ? ` unexpected ${unknown.join(' ')}` : ''}`,
    );
  }
  const env = (name: string) => process.env[name] as string;
  const address = /^(127\.0\.0\.1):(\d+)$/.exec(env('LOCALAI_ADDRESS'));
  if (address === null) refuse(`LOCALAI_ADDRESS must be 127.0.0.1:<port>, got ${env('LOCALAI_ADDRESS')}`);
  const modelId = env('LOCALAI_LOAD_TO_MEMORY');
  const yamlPath = posix.join(env('LOCALAI_MODELS_PATH'), `${modelId}.yaml`);
  let definition: { parameters?: { model?: string }; context_size?: number };
  try {
    definition = parse(readFileSync(yamlPath, 'utf8'));
  } catch (error) {
    refuse(`cannot read the model definition ${yamlPath}: ${(error as Error).message}`);
  }
  const modelFile = definition.parameters?.model;
  if (typeof modelFile !== 'string' || modelFile.startsWith('/')) {
    refuse(`${yamlPath}: parameters.model must be a file name relative to the models path, got ${modelFile}`);
  }
  try {
    readFileSync(posix.join(env('LOCALAI_MODELS_PATH'), modelFile)).subarray(0, 16);
  } catch (error) {
    refuse(`cannot read the model file as uid ${process.getuid?.()}: ${(error as Error).message}`);
  }
  const backend = verifyBackendLayout(env('LOCALAI_BACKENDS_PATH'));
  if (backend.length > 0) refuse(`backend not usable: ${backend.join('; ')}`);
  say(
    `LocalAI stand-in: preloading ${modelId} from ${modelFile} (threads ${env('LOCALAI_THREADS')}, context ${env('LOCALAI_CONTEXT_SIZE')})`,
  );
  const standin = await startLocalaiStandin({
    host: address[1] as string,
    port: Number(address[2]),
    models: [modelId],
    contextSize: Number(env('LOCALAI_CONTEXT_SIZE')),
    decodeTokensPerSecond: DECODE_TOKENS_PER_SECOND,
    pieces: PIECES,
    apiKeys: [env('LOCALAI_API_KEY')],
  });
  say(`LocalAI stand-in API listening on ${standin.url}`);
  const stop = (signal: string) => {
    say(`LocalAI stand-in: ${signal}, ${standin.requests.length} request(s) served, stopping`);
    void standin.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

function main(argv: readonly string[]): Promise<void> {
  if (argv.length === 1 && argv[0] === 'run') return serve();
  if (argv[0] === 'backends' && argv[1] === 'install') return backendsInstall(argv.slice(2));
  if (argv[0] === 'run')
    refuse(
      `\`local-ai run\` takes no arguments here (local-ai.service passes none), got ${JSON.stringify(argv.slice(1))}`,
    );
  refuse(`unsupported command line: local-ai ${argv.join(' ')}`);
}

main(process.argv.slice(2)).catch((error: Error) => {
  process.stderr.write(`${NAME}: ${error.message}\n`);
  process.exit(1);
});
