/**
 * The `slm-copilot` command: argument parsing only; each command lives in its own module and returns its exit
 * code. main is the one place an error becomes an exit code: commander's own (behind exitOverride), a Failure, or
 * anything else (a bug or an unexpected system error, exit 1).
 */
import { Command, CommanderError } from 'commander';
import { VERSION } from '../core/facts/version.ts';
import { EXIT, Failure, failureLines } from '../core/lib/failure.ts';
import { registerBenchCommand } from './benchCommand.ts';
import { registerCheckCommand } from './checkCommand.ts';
import type { Cli, CliIo } from './cli.ts';
import { registerClineCommand } from './clineCommand.ts';
import { registerDoctorCommand } from './doctorCommand.ts';
import { registerImageCommand } from './imageCommand.ts';
import { registerLockCommand } from './lockCommand.ts';
import { registerMarketplaceCommand } from './marketplaceCommand.ts';
import { registerPlanCommand } from './planCommand.ts';
import { registerSandboxCommand } from './sandboxCommand.ts';
import { registerStageCommands } from './stageCommands.ts';

function buildProgram(cli: Cli): Command {
  const { io } = cli;
  const program = new Command('slm-copilot')
    .description('SLM-Copilot appliance control plane: settings, host probe, plan, configuration.')
    .version(VERSION, '-V, --version')
    // Before any subcommand is added, so they inherit it: usage errors become exit code 2, not process.exit(1).
    .exitOverride()
    .configureOutput({
      writeOut: (text) => void io.stdout.write(text),
      writeErr: (text) => void io.stderr.write(text),
      // commander's own default: the terminal's width, 80 when not a terminal.
      getOutHelpWidth: () => (io.stdout.isTTY === true ? (io.stdout.columns ?? 80) : 80),
      getErrHelpWidth: () => (io.stderr.isTTY === true ? (io.stderr.columns ?? 80) : 80),
    })
    .showHelpAfterError('(run with --help for usage)');
  registerPlanCommand(program, cli);
  registerSandboxCommand(program, cli);
  registerStageCommands(program, cli);
  registerLockCommand(program, cli);
  registerImageCommand(program, cli);
  registerMarketplaceCommand(program, cli);
  registerCheckCommand(program, cli);
  registerBenchCommand(program, cli);
  registerClineCommand(program, cli);
  registerDoctorCommand(program, cli);
  return program;
}

/** Runs the command line `argv` (the arguments after the program) and returns the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let code: number = EXIT.ok;
  let name = 'slm-copilot';
  const program = buildProgram({
    io,
    action:
      (body) =>
      async (...args) => {
        code = await body(...args);
      },
  });
  program.hook('preAction', (_program, command) => {
    const names: string[] = [];
    for (let at: Command | null = command; at !== null; at = at.parent) names.unshift(at.name());
    name = names.join(' ');
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.refused;
    if (error instanceof Failure) {
      io.stderr.write(`${failureLines(name, error).join('\n')}\n`);
      return error.exitCode;
    }
    io.stderr.write(`slm-copilot: ${(error as Error).message}\n`);
    return EXIT.failed;
  }
}
