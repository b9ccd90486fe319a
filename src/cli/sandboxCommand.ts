/** `slm-copilot sandbox`: argument checking for the sandbox, which does the work. */
import type { Command } from 'commander';
import { runSandbox, sandboxInputError } from '../build/sandbox/sandbox.ts';
import type { Cli } from './cli.ts';

interface RawOptions {
  dir: string;
  context?: string;
  upstream: string;
  port: string;
  httpPort?: string;
  proc?: string;
  addresses?: string;
}

function port(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw sandboxInputError([`${flag}: "${text}" is not a TCP port; expected 1 to 65535.`]);
  }
  return value;
}

function upstreamUrl(text: string): URL {
  try {
    const url = new URL(text);
    if (url.protocol === 'http:') return url;
  } catch {
    // reported below
  }
  throw sandboxInputError([
    `--upstream: "${text}" is not an http:// URL; expected e.g. http://127.0.0.1:8080.`,
  ]);
}

export function registerSandboxCommand(program: Command, { io, action }: Cli): void {
  program
    .command('sandbox')
    .description(
      'Run the real gateway (rendered nginx config, TLS, auth) in DIR on loopback, in front of an OpenAI-compatible upstream.',
    )
    .requiredOption(
      '--dir <dir>',
      'directory used as the root prefix (created if missing; keeps CA, keys and password)',
    )
    .requiredOption('--upstream <url>', 'OpenAI-compatible server to proxy to, e.g. http://127.0.0.1:8080')
    .requiredOption('--port <port>', 'HTTPS port on 127.0.0.1')
    .option('--http-port <port>', 'HTTP port on 127.0.0.1 (ACME webroot and redirect)')
    .option('--context <file>', 'OpenNebula context file (context.sh or one_env)')
    .option('--proc <dir>', 'directory with cpuinfo and meminfo for the sizing (default /proc)')
    .option('--addresses <list>', "comma-separated addresses to use as the VM's IPs (certificate SANs)")
    .action(
      action((raw: RawOptions) =>
        runSandbox(
          {
            dir: raw.dir,
            upstream: upstreamUrl(raw.upstream),
            port: port(raw.port, '--port'),
            ...(raw.httpPort === undefined ? {} : { httpPort: port(raw.httpPort, '--http-port') }),
            ...(raw.context === undefined ? {} : { context: raw.context }),
            ...(raw.proc === undefined ? {} : { proc: raw.proc }),
            ...(raw.addresses === undefined
              ? {}
              : { addresses: raw.addresses.split(',').map((a) => a.trim()) }),
          },
          io,
        ),
      ),
    );
}
