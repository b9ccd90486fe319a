/** Starts `slm-copilot sandbox` (the built bundle) as a child process and waits for its ready line. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLE } from './bundle.ts';
import { FIXTURE_HOSTS } from './hosts.ts';
import { freePort } from './ports.ts';

export interface Credentials {
  readonly keys: Record<string, string>;
  readonly user: string;
  readonly password: string;
}

export interface RunningSandbox {
  readonly url: string;
  readonly port: number;
  readonly httpPort: number;
  readonly dir: string;
  readonly credentials: Credentials;
  /** The CA file in the sandbox's state, i.e. what GET /ca.pem must serve. */
  readonly caPath: string;
  readonly child: ChildProcess;
  /** What the sandbox printed so far (stdout and stderr: its ready line, nginx's and the relay's log lines). */
  output(): string;
  stop(): Promise<number | null>;
}

export interface SandboxStart {
  readonly upstream: string;
  readonly dir?: string;
  readonly context?: readonly string[];
  readonly addresses?: readonly string[];
  readonly node?: string;
  readonly port?: number;
}

export function newSandboxDir(): string {
  return mkdtempSync(join(tmpdir(), 'slm-sandbox-'));
}

export async function startSandbox(options: SandboxStart): Promise<RunningSandbox> {
  const dir = options.dir ?? newSandboxDir();
  const port = options.port ?? (await freePort());
  const httpPort = await freePort();
  const contextPath = join(dir, 'context.sh');
  writeFileSync(contextPath, `${(options.context ?? []).join('\n')}\n`);
  const args = [BUNDLE, 'sandbox', '--dir', dir, '--context', contextPath, '--upstream', options.upstream];
  args.push('--port', String(port), '--http-port', String(httpPort));
  args.push('--proc', `${FIXTURE_HOSTS}epyc-passthrough-smt-32g`);
  args.push('--addresses', (options.addresses ?? ['192.0.2.10']).join(','));
  const child = spawn(options.node ?? process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stderr?.on('data', (data: Buffer) => {
    output += data.toString();
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sandbox not ready in 20 s:\n${output}`)), 20_000);
    child.stdout?.on('data', (data: Buffer) => {
      output += data.toString();
      if (output.includes(`ready https://127.0.0.1:${port}\n`)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sandbox exited with ${code}:\n${output}`));
    });
  });
  const credentials = JSON.parse(readFileSync(join(dir, 'credentials.json'), 'utf8')) as Credentials;
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    httpPort,
    dir,
    credentials,
    caPath: join(dir, 'var/lib/slm-copilot/tls/ca-public.pem'),
    child,
    output: () => output,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) {
          resolve(child.exitCode);
          return;
        }
        child.once('exit', (code) => resolve(code));
        child.kill('SIGTERM');
      }),
  };
}
