/** The `slm-copilot` command: argument parsing only; each command lives in its own module. */
import { Command, CommanderError } from 'commander';
import { VERSION } from '../core/facts/version.ts';
import { registerBenchCommand } from './benchCommand.ts';
import { registerCheckCommand } from './checkCommand.ts';
import { registerClineCommand } from './clineCommand.ts';
import { registerDoctorCommand } from './doctorCommand.ts';
import { registerImageCommand } from './imageCommand.ts';
import { registerLockCommand } from './lockCommand.ts';
import { registerMarketplaceCommand } from './marketplaceCommand.ts';
import { runPlan } from './planCommand.ts';
import { registerSandboxCommand } from './sandboxCommand.ts';
import { registerStageCommands } from './stageCommands.ts';

function buildProgram(env: NodeJS.ProcessEnv, setExitCode: (code: number) => void): Command {
  const program = new Command('slm-copilot')
    .description('SLM-Copilot appliance control plane: settings, host probe, plan, configuration.')
    .version(VERSION, '-V, --version')
    // Before any subcommand is added, so they inherit it: usage errors become exit code 2, not process.exit(1).
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');
  program
    .command('plan')
    .description('Show the sizing, warnings and files the appliance would write for this context and host.')
    .option(
      '--context <file>',
      'OpenNebula context file (context.sh or one_env); its values win over the environment',
    )
    .option('--proc <dir>', 'directory with cpuinfo and meminfo (default /proc)')
    .option('--json', 'print one JSON object instead of text')
    .action((options: { context?: string; proc?: string; json?: boolean }) => {
      setExitCode(runPlan(options, env, { stream: process.stdout, env }));
    });
  registerSandboxCommand(program, env, setExitCode);
  registerStageCommands(program, env, setExitCode);
  registerLockCommand(program, env, setExitCode);
  registerImageCommand(program, env, setExitCode);
  registerMarketplaceCommand(program, setExitCode);
  registerCheckCommand(program, env, setExitCode);
  registerBenchCommand(program, env, setExitCode);
  registerClineCommand(program, env, setExitCode);
  registerDoctorCommand(program, env, setExitCode);
  return program;
}

async function main(): Promise<void> {
  const program = buildProgram(process.env, (code) => {
    process.exitCode = code;
  });
  try {
    await program.parseAsync(process.argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? 0 : 2;
      return;
    }
    process.stderr.write(`slm-copilot: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}

await main();
