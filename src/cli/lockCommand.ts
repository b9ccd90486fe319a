/** `slm-copilot lock`: refresh artifacts.lock.json from the publishers' own checksum sources (`make lock`). */
import type { Command } from 'commander';
import { runLockCommand } from '../artifacts/refresh/command.ts';

type Exit = (code: number) => void;

const list = (value: string, previous: string[] = []) => [
  ...previous,
  ...value
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== ''),
];

export function registerLockCommand(program: Command, env: NodeJS.ProcessEnv, setExitCode: Exit): void {
  program
    .command('lock')
    .description(
      "refresh the lock's pins from each publisher's own checksum source, verify the downloaded files, show the diff",
    )
    .option('--lock <file>', 'the lock file', 'artifacts.lock.json')
    .option(
      '--artifacts <dir>',
      'where the files are downloaded and kept for the image build',
      'build/artifacts',
    )
    .option('--write', 'write the lock file (only when nothing was refused)')
    .option('--only <names>', 'only these artifacts (comma-separated; repeatable)', list)
    .option(
      '--update <names>',
      'accept a publisher that now states something else than the pin, and re-resolve moving references (reviewed upgrades)',
      list,
    )
    .action(
      async (options: {
        lock: string;
        artifacts: string;
        write?: boolean;
        only?: string[];
        update?: string[];
      }) => {
        const code = await runLockCommand(
          {
            lock: options.lock,
            artifacts: options.artifacts,
            write: options.write === true,
            ...(options.only === undefined ? {} : { only: options.only }),
            ...(options.update === undefined ? {} : { update: options.update }),
          },
          {
            out: (line) => process.stdout.write(`${line}\n`),
            err: (line) => process.stderr.write(`${line}\n`),
            env,
          },
        );
        setExitCode(code);
      },
    );
}
