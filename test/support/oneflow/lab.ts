/**
 * The scale-out suite's network: a bridge in the test's own namespace carrying the front's address (the test process
 * is the front), and one network namespace per worker (and one for an outside client) joined to it by a veth pair,
 * each with its own address. Workers run in their namespace (workerProcess.ts). Needs root and iproute2.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { networkInterfaces } from 'node:os';
import { createInterface } from 'node:readline';
import type { OwnSubnet } from '../../../src/core/routing/service.ts';
import { type OneGateStandin, tokenOf } from '../../../tools/onegate/standin.ts';
import type { WorkerProcessConfig, WorkerReadyLine } from './workerProcess.ts';

const PREFIX = 'slm15';
export const BRIDGE = `${PREFIX}br`;
export const SUBNET = '10.215.0';
export const FRONT_ADDRESS = `${SUBNET}.1`;

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' }).toString();

/** Removes what an earlier, interrupted run left. */
export function cleanLab(): void {
  for (const ns of ip('netns', 'list')
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name.startsWith(`${PREFIX}-`))) {
    ip('netns', 'delete', ns);
  }
  if (ip('link', 'show').includes(`${BRIDGE}:`)) ip('link', 'delete', BRIDGE);
}

export function createLab(): void {
  cleanLab();
  ip('link', 'add', BRIDGE, 'type', 'bridge');
  ip('addr', 'add', `${FRONT_ADDRESS}/24`, 'dev', BRIDGE);
  ip('link', 'set', BRIDGE, 'up');
}

/** A namespace `slm15-<name>` with `address` on its eth0, bridged to the front. */
export function addNamespace(name: string, address: string): string {
  const ns = `${PREFIX}-${name}`;
  const host = `${PREFIX}${name}h`;
  ip('netns', 'add', ns);
  ip('link', 'add', host, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
  ip('link', 'set', host, 'master', BRIDGE);
  ip('link', 'set', host, 'up');
  ip('-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
  ip('-n', ns, 'link', 'set', 'eth0', 'up');
  ip('-n', ns, 'link', 'set', 'lo', 'up');
  return ns;
}

/** A command run inside the namespace, its stdout. */
export function inNamespace(ns: string, command: string[]): string {
  const [file, ...args] = command as [string, ...string[]];
  return execFileSync('ip', ['netns', 'exec', ns, file, ...args], { stdio: 'pipe' }).toString();
}

/** The front's own subnets, as membership reads them from the machine's interfaces. */
export function frontSubnets(): OwnSubnet[] {
  return (networkInterfaces()[BRIDGE] ?? [])
    .filter((entry) => entry.family === 'IPv4')
    .map((entry) => ({ address: entry.address, netmask: entry.netmask }));
}

export interface LabWorker {
  readonly vmId: string;
  readonly ns: string;
  readonly address: string;
  readonly process: ChildProcess;
  readonly ready: WorkerReadyLine;
  /** Milliseconds from start to serving (engine start, model load, relay, nginx, OneGate publication). */
  readonly startMs: number;
  stop(): Promise<void>;
}

/** Starts a worker VM: the stand-in lists it (RUNNING, not READY yet), its process starts in its namespace. */
export async function startWorker(
  standin: OneGateStandin,
  index: number,
  config: Omit<WorkerProcessConfig, 'address' | 'frontAddress'>,
): Promise<LabWorker> {
  const vmId = String(10 + index);
  const address = `${SUBNET}.${10 + index}`;
  const ns = addNamespace(`w${index}`, address);
  standin.addVm(vmId, 'worker', [address]);
  const started = performance.now();
  const child = spawn(
    'ip',
    [
      'netns',
      'exec',
      ns,
      process.execPath,
      '--import',
      'tsx',
      new URL('./workerProcess.ts', import.meta.url).pathname,
      JSON.stringify({ ...config, address, frontAddress: FRONT_ADDRESS }),
    ],
    {
      env: { ...process.env, ONEGATE_ENDPOINT: standin.url, TOKENTXT: tokenOf(vmId), VMID: vmId },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const first = await Promise.race([
    once(lines, 'line').then(([line]) => JSON.parse(line as string) as WorkerReadyLine),
    once(child, 'exit').then(([code]) => {
      throw new Error(`worker ${vmId} exited (${code}) before serving`);
    }),
  ]);
  return {
    vmId,
    ns,
    address,
    process: child,
    ready: first,
    startMs: performance.now() - started,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
