/** Runs Debian's nginx in the foreground on a sandbox's configuration, and waits for its port. */
import { type AddressInfo, connect, createServer } from 'node:net';
import { posix } from 'node:path';
import { LAYOUT } from '../../core/facts/layout.ts';
import { type ChildProcess, ranOk, runSync, start, whyFailed } from '../../system/process.ts';

export interface NginxPaths {
  readonly prefix: string;
  readonly config: string;
  readonly errorLog: string;
}

export function nginxPaths(root: string): NginxPaths {
  return {
    prefix: root,
    config: posix.join(root, LAYOUT.nginxMainConfig),
    errorLog: posix.join(root, LAYOUT.nginxLogDir, 'error.log'),
  };
}

const args = (paths: NginxPaths) => ['-p', paths.prefix, '-c', paths.config, '-e', paths.errorLog];

/** `nginx -t`: throws with nginx's own message when the configuration is invalid. */
export function testNginxConfig(paths: NginxPaths, binary = 'nginx'): void {
  const ran = runSync(binary, [...args(paths), '-t', '-q']);
  if (!ranOk(ran)) throw new Error(`nginx rejected the configuration: ${whyFailed(ran)}`);
}

export function startNginx(paths: NginxPaths, binary = 'nginx'): ChildProcess {
  return start(binary, args(paths));
}

/** Resolves once host:port accepts a TCP connection; rejects after timeoutMs or when the process exits. */
export async function waitForPort(
  host: string,
  port: number,
  child: ChildProcess,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `nginx exited (${child.exitCode ?? child.signalCode}) before listening on ${host}:${port}`,
      );
    }
    if (await accepts(host, port)) return;
    if (Date.now() > deadline)
      throw new Error(`nginx did not listen on ${host}:${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Fast shutdown (SIGTERM), resolved when the master has exited. */
export function stopNginx(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** A port on 127.0.0.1 that was free a moment ago (bound, read, released). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
