/** The one-apps stages and the services' entry points: configure, bootstrap, renew, relay, router. */
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { hostAt } from '../appliance/host/port.ts';
import { runRelayFromConfigFile } from '../appliance/relay/main.ts';
import { runRouterFromConfigFile } from '../appliance/router/main.ts';
import { bootstrap } from '../appliance/stages/bootstrap.ts';
import { configure } from '../appliance/stages/configure.ts';
import { type StageOptions, stageEnvironment, stageLogger } from '../appliance/stages/environment.ts';
import { install } from '../appliance/stages/install.ts';
import { renew } from '../appliance/stages/renew.ts';
import { EXIT } from '../core/lib/failure.ts';
import type { Cli } from './cli.ts';

const withStageOptions = (command: Command) =>
  command
    .option(
      '--root <dir>',
      'run every file operation under DIR; service actions go to DIR/services.log (tests, review)',
    )
    .option('--proc <dir>', 'directory with cpuinfo and meminfo (default /proc)')
    .option('--context <file>', 'context file (default /var/run/one-context/one_env when present)');

export function registerStageCommands(program: Command, { io, action }: Cli): void {
  const environment = (options: StageOptions & { root?: string }) =>
    stageEnvironment(
      hostAt(resolve(options.root ?? '/')),
      options,
      io.env,
      stageLogger(io.stdout, io.stderr),
    );
  withStageOptions(program.command('install'))
    .description(
      'one-apps install stage (image build): packages, Node runtime, LocalAI, backend, model, users',
    )
    .option('--lock <file>', 'artifact lock file (default: artifacts.lock.json next to this program)')
    .option('--mirror <url>', 'base URL serving the artifacts under their lock file names')
    .option('--artifacts <dir>', 'directory holding the artifacts (air-gapped build)')
    .action(
      action((options: StageOptions & { lock?: string; mirror?: string; artifacts?: string }) =>
        install(environment(options), {
          lock: options.lock ?? join(dirname(io.program), 'artifacts.lock.json'),
          bundle: io.program,
          ...(options.mirror === undefined ? {} : { mirror: options.mirror }),
          ...(options.artifacts === undefined ? {} : { artifactsDir: options.artifacts }),
        }),
      ),
    );
  withStageOptions(program.command('configure'))
    .description(
      'one-apps configure stage: validate the context, write what changed, restart what must restart',
    )
    .action(action((options: StageOptions) => configure(environment(options))));
  withStageOptions(program.command('bootstrap'))
    .description(
      "one-apps bootstrap stage: start the services, wait for the model, Let's Encrypt, OneGate, report",
    )
    .option('--wait <seconds>', 'how long to wait for the model before reporting "loading"', '900')
    .option('--acme-server <url>', "ACME directory URL (default: Let's Encrypt)")
    .action(
      action((options: StageOptions & { wait: string; acmeServer?: string }) =>
        bootstrap(environment(options), {
          waitSeconds: Number(options.wait),
          ...(options.acmeServer === undefined ? {} : { acmeServer: options.acmeServer }),
        }),
      ),
    );
  withStageOptions(program.command('renew'))
    .description(
      "renew the appliance certificate when due, retry or install Let's Encrypt, reload nginx (daily timer)",
    )
    .option('--acme-server <url>', "ACME directory URL (default: Let's Encrypt)")
    .action(
      action((options: StageOptions & { acmeServer?: string }) =>
        renew(environment(options), options.acmeServer),
      ),
    );
  program
    .command('relay')
    .description('run the streaming relay (nginx → relay → LocalAI) from its JSON configuration')
    .requiredOption('--config <file>', 'relay configuration (written by configure)')
    .action(
      action(async (options: { config: string }) => {
        await runRelayFromConfigFile(options.config);
        return EXIT.ok;
      }),
    );
  program
    .command('router')
    .description("run a OneFlow front's router (nginx → router → workers) from its JSON configuration")
    .requiredOption('--config <file>', 'router configuration (written by configure)')
    .action(
      action(async (options: { config: string }) => {
        await runRouterFromConfigFile(options.config);
        return EXIT.ok;
      }),
    );
}
