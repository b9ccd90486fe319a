/** `slm-copilot doctor`: on the VM, what is wrong with this appliance and how to fix it. */
import { posix } from 'node:path';
import type { Command } from 'commander';
import { diagnose } from '../appliance/doctor/diagnose.ts';
import { observe } from '../appliance/doctor/observe.ts';
import { hostAt } from '../appliance/host/port.ts';
import { resultLines } from '../client/output/render.ts';
import { VERSION } from '../core/facts/version.ts';
import { EXIT } from '../core/lib/failure.ts';
import { tally } from '../core/lib/result.ts';
import type { Cli } from './cli.ts';
import { styler } from './terminal.ts';

interface DoctorOptions {
  root?: string;
  proc?: string;
  context?: string;
  json?: boolean;
}

export function registerDoctorCommand(program: Command, { io, action }: Cli): void {
  const { env } = io;
  program
    .command('doctor')
    .description(
      "On the VM: CPU features and host-passthrough, cores, RAM against the plan, disk, services and their last errors, ports, certificate, relay readiness, the last boot's configure errors, the llama.cpp CPU build. One line per finding with its fix; exit 1 when something fails.",
    )
    .option(
      '--root <dir>',
      'read files under DIR, and systemctl/journalctl/relay answers recorded in DIR/doctor/ (tests)',
    )
    .option('--proc <dir>', 'directory with cpuinfo, meminfo and net/tcp (default /proc)')
    .option('--context <file>', 'context file (default /var/run/one-context/one_env)')
    .option('--json', 'print one JSON object instead of text')
    .action(
      action(async (options: DoctorOptions) => {
        const root = posix.resolve(options.root ?? '/');
        const observed = await observe(
          {
            proc: options.proc ?? '/proc',
            ...(options.context === undefined ? {} : { context: options.context }),
          },
          env,
          hostAt(root),
          new Date(),
        );
        const results = diagnose(observed);
        const counts = tally(results);
        const code = counts.fail > 0 ? EXIT.failed : EXIT.ok;
        if (options.json) {
          io.stdout.write(
            `${JSON.stringify({ tool: 'slm-copilot doctor', version: VERSION, root, exitCode: code, summary: counts, findings: results }, null, 2)}\n`,
          );
        } else {
          const paint = styler({ stream: io.stdout, env });
          const summary = `doctor: ${counts.pass} ok, ${counts.warn} warning(s), ${counts.fail} problem(s)`;
          io.stdout.write(
            `${['slm-copilot doctor', ...resultLines(results, paint), counts.fail > 0 ? paint('red', summary) : counts.warn > 0 ? paint('yellow', summary) : paint('green', summary)].join('\n')}\n`,
          );
        }
        return code;
      }),
    );
}
