/**
 * `slm-copilot sandbox`: the real serving stack — the rendered nginx configuration, TLS material and secrets, and
 * the relay — in a directory, on loopback ports, in front of any OpenAI-compatible upstream:
 * client → nginx (PORT) → relay (a free loopback port) → --upstream. Nothing outside DIR is touched.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { applyFiles, ensureDirectories, writeAtomically } from '../../appliance/apply/files.ts';
import { liveSystem, readHostFacts, type SystemProbe } from '../../appliance/host/reader.ts';
import { readContext } from '../../appliance/prepare/context.ts';
import { prepare } from '../../appliance/prepare/prepare.ts';
import { relayOptionsFromFile } from '../../appliance/relay/config.ts';
import { startRelay } from '../../appliance/relay/server.ts';
import { DIRECTORIES, LAYOUT } from '../../core/facts/layout.ts';
import { RELAY_CONFIG_PATH, RELAY_STATE_DIR, type RelayConfigFile } from '../../core/facts/relay.ts';
import type { ServingTarget } from '../../core/facts/target.ts';
import { EXIT, type Failure, refusedError } from '../../core/lib/failure.ts';
import type { Plan } from '../../core/plan/plan.ts';
import type { Settings } from '../../core/settings/declarations.ts';
import { problemSentence } from '../../core/settings/types.ts';
import {
  freeLoopbackPort,
  nginxPaths,
  startNginx,
  stopNginx,
  testNginxConfig,
  waitForPort,
} from './nginxProcess.ts';

export interface SandboxOptions {
  readonly dir: string;
  readonly context?: string;
  readonly upstream: URL;
  readonly port: number;
  readonly httpPort?: number;
  readonly proc?: string;
  /** Replaces the machine's addresses (the certificate's IP SANs): lets tests change "the VM's IP". */
  readonly addresses?: readonly string[];
}

/** The sandbox's options or context were refused: one line per problem. */
export const sandboxInputError = (problems: readonly string[]): Failure =>
  refusedError('the input is not valid:', problems);

export interface PreparedSandbox {
  readonly plan: Plan;
  readonly settings: Settings;
  readonly warnings: readonly string[];
  readonly credentialsPath: string;
}

/**
 * Renders and writes everything into DIR; starts nothing. The one prepare flow validates the context and the
 * sizing before anything is written; then the sandbox's directories, secrets and CA are made.
 */
export function prepareSandbox(
  options: SandboxOptions,
  env: NodeJS.ProcessEnv,
  relay: { readonly host: string; readonly port: number },
  /** The file this program runs from: served at /slm-copilot.mjs when it is the bundle. */
  running: string,
): PreparedSandbox {
  const root = posix.resolve(options.dir);
  const at = (path: string) => posix.join(root, path);
  const system: SystemProbe =
    options.addresses === undefined
      ? liveSystem
      : {
          disk: liveSystem.disk,
          network: () => ({ hostname: 'sandbox', addresses: [...(options.addresses ?? [])] }),
        };
  const target: ServingTarget = {
    root,
    httpsListen: [`127.0.0.1:${options.port}`],
    httpListen: options.httpPort === undefined ? [] : [`127.0.0.1:${options.httpPort}`],
    httpsPort: options.port,
    nginxUser: process.getuid?.() === 0 ? 'root' : null,
    daemon: false,
    systemModules: false,
    upstream: relay,
  };
  // The client tools are served at /slm-copilot.mjs: the sandbox serves the bundle it runs from.
  const servesBundle = running.endsWith('.mjs');
  const result = prepare({
    root,
    contextValues: readContext(env, options.context).values,
    readHost: () =>
      readHostFacts({ ...(options.proc === undefined ? {} : { procDir: options.proc }), system }),
    target,
    now: new Date(),
    ...(servesBundle
      ? { bundleSha256: createHash('sha256').update(readFileSync(running)).digest('hex') }
      : {}),
    beforeWrite: () => {
      ensureDirectories(DIRECTORIES, { root, owners: null });
      if (servesBundle) {
        mkdirSync(posix.dirname(at(LAYOUT.bundle)), { recursive: true });
        copyFileSync(running, at(LAYOUT.bundle));
      }
    },
  });
  if (!result.ok) throw sandboxInputError(result.problems.map(problemSentence));
  const { plan, settings, secrets, warnings } = result.prepared;
  applyFiles(plan.files, { root, owners: null, directoryMode: 0o700 });
  const credentialsPath = at('credentials.json');
  const credentials = {
    keys: Object.fromEntries(secrets.apiKeys.map(({ name, key }) => [name, key])),
    user: settings.authUser,
    password: secrets.password,
  };
  writeAtomically(credentialsPath, `${JSON.stringify(credentials, null, 2)}\n`, 0o600);
  return { plan, settings, warnings, credentialsPath };
}

export interface SandboxIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
  readonly program: string;
}

/** Prepares, starts nginx, prints `ready https://127.0.0.1:PORT`, and runs until SIGTERM/SIGINT. */
export async function runSandbox(options: SandboxOptions, io: SandboxIo): Promise<number> {
  // The relay's port is picked before nginx binds --port and --http-port: never one of those (the kernel may hand out a
  // port the caller has just probed and released; the relay would then answer where nginx should).
  let relayPort = await freeLoopbackPort();
  while (relayPort === options.port || relayPort === options.httpPort) relayPort = await freeLoopbackPort();
  const relayAddress = { host: '127.0.0.1', port: relayPort };
  const prepared = prepareSandbox(options, io.env, relayAddress, io.program);
  for (const warning of prepared.warnings) io.stderr.write(`warning: ${warning}\n`);
  const paths = nginxPaths(posix.resolve(options.dir));
  testNginxConfig(paths);
  // The relay configuration the plan wrote for /etc/slm-copilot/relay.json, pointed at --upstream, with the
  // warm-up's store and key names file under DIR.
  const root = posix.resolve(options.dir);
  // systemd's StateDirectory= makes this directory on the appliance.
  mkdirSync(posix.join(root, RELAY_STATE_DIR), { recursive: true, mode: 0o700 });
  const planned = prepared.plan.files.find((entry) => entry.path === RELAY_CONFIG_PATH);
  // Only a role that runs the relay has one (a front runs the router, and needs OneGate, which a sandbox has not).
  if (planned === undefined)
    throw refusedError('the sandbox serves one VM', [
      `ONEAPP_COPILOT_SERVICE_ROLE is ${prepared.settings.role}, which runs no relay here: use standalone (the default).`,
    ]);
  const appliance = JSON.parse(planned.content) as RelayConfigFile;
  const relayFile: RelayConfigFile = {
    ...appliance,
    listen: relayAddress,
    upstream: {
      url: `http://${options.upstream.hostname}:${Number(options.upstream.port || 80)}`,
      apiKeyFile: null,
    },
    ...(appliance.warmup === undefined
      ? {}
      : {
          warmup: {
            ...appliance.warmup,
            storePath: posix.join(root, appliance.warmup.storePath),
            keyNamesPath: posix.join(root, appliance.warmup.keyNamesPath),
          },
        }),
  };
  const relay = await startRelay({
    ...relayOptionsFromFile(relayFile, () => ''),
    log: (line) => io.stderr.write(`${line}\n`), // the relay's lines already start with "relay:"
  });
  const nginx = startNginx(paths);
  let stopping = false;
  const finished = new Promise<number>((resolve) =>
    nginx.once('exit', () => resolve(stopping ? EXIT.ok : EXIT.failed)),
  );
  const stop = () => {
    stopping = true;
    void stopNginx(nginx);
  };
  try {
    await waitForPort('127.0.0.1', options.port, nginx);
  } catch (error) {
    stop();
    await finished;
    await relay.close();
    throw error;
  }
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  io.stdout.write(`ready https://127.0.0.1:${options.port}\n`);
  const code = await finished;
  process.off('SIGTERM', stop);
  process.off('SIGINT', stop);
  await relay.close();
  if (code !== 0) io.stderr.write(`slm-copilot sandbox: nginx exited unexpectedly; see ${paths.errorLog}\n`);
  return code;
}
