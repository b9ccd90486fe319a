/**
 * Fixture hosts for `doctor --root`: a root prefix that `configure` really wrote (report, certificate, LocalAI
 * environment), plus what systemctl, journalctl, /proc/net/tcp and the relay would say, recorded under
 * ROOT/doctor/ and ROOT/proc/ the way `doctor` reads them. Test code only.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MODEL } from '../../src/core/facts/model.ts';
import { FIXTURE_HOSTS } from './hosts.ts';
import { newRoot, runStageHere } from './stages.ts';

export interface UnitState {
  readonly active: 'active' | 'failed' | 'inactive' | 'activating';
  readonly sub: string;
  readonly result?: string;
  readonly restarts?: number;
  readonly journal?: string;
}

export interface Scenario {
  /** A directory under test/fixtures/hosts (cpuinfo, meminfo). */
  readonly host: string;
  readonly units: Readonly<Record<string, UnitState>>;
  /** "address:port" of listening sockets (IPv4). */
  readonly listening: readonly string[];
  readonly relay: { status: number; body: string } | { error: string };
  readonly modelFile: boolean;
}

export const RUNNING: Readonly<Record<string, UnitState>> = {
  'local-ai.service': {
    active: 'active',
    sub: 'running',
    journal:
      'LocalAI API is listening on 127.0.0.1:8080\nload_backend: loaded CPU backend from /var/lib/local-ai/backends/cpu-llama-cpp/lib/libggml-cpu-zen4.so\n',
  },
  'slm-copilot-relay.service': { active: 'active', sub: 'running' },
  'nginx.service': { active: 'active', sub: 'running' },
  'slm-copilot-renew.timer': { active: 'active', sub: 'waiting' },
};

export const HEALTHY: Scenario = {
  host: 'epyc-passthrough-smt-32g',
  units: RUNNING,
  listening: ['0.0.0.0:443', '127.0.0.1:8081', '127.0.0.1:8080'],
  relay: { status: 200, body: '{"status":"ready"}' },
  modelFile: true,
};

/** One configured root, made once (configure takes a second), copied per scenario. */
let configured: string | null = null;

async function configuredWith(context: readonly string[]): Promise<string> {
  const root = newRoot();
  const run = await runStageHere(root, 'configure', context);
  if (run.status !== 0) throw new Error(`configure failed:\n${run.stderr}`);
  return root;
}

/** Configures the root the scenarios copy (in a before hook). */
export async function configureOnce(): Promise<void> {
  if (configured === null) configured = await configuredWith([]);
}

/** A OneFlow VM's context: its role, the service secret, OneGate access, and a worker's front. */
export const FRONT_ADDRESS = '10.0.0.5';
const SERVICE_CONTEXT = [
  "ONEAPP_COPILOT_SERVICE_SECRET='service-secret-0123456789abcdef0123456789'",
  "ONEGATE_ENDPOINT='http://10.0.0.1:5030'",
  "VMID='7'",
  "TOKENTXT='onegate-token-of-vm-7'",
];

/** A root configured as a OneFlow front or worker (a front with these API keys). */
export function configuredRole(role: 'front' | 'worker', apiKeys: readonly string[] = []): Promise<string> {
  return configuredWith([
    `ONEAPP_COPILOT_SERVICE_ROLE='${role}'`,
    ...SERVICE_CONTEXT,
    ...(role === 'worker' ? [`ONEAPP_COPILOT_SERVICE_FRONT='${FRONT_ADDRESS}'`] : []),
    ...(apiKeys.length === 0 ? [] : [`ONEAPP_COPILOT_AUTH_KEYS='${apiKeys.join(',')}'`]),
  ]);
}

/** A worker serving: the standalone units, its relay having published READY=YES. */
export const HEALTHY_WORKER: Scenario = {
  ...HEALTHY,
  units: {
    ...RUNNING,
    'slm-copilot-relay.service': {
      active: 'active',
      sub: 'running',
      journal: 'relay: listening on 127.0.0.1:8081\nrelay: OneGate READY=YES published\n',
    },
  },
};

/** A front routing to `workers` workers: nginx and the router, no LocalAI, no model file. */
export function healthyFront(workers: number): Scenario {
  return {
    host: 'epyc-passthrough-smt-32g',
    units: {
      'slm-copilot-router.service': { active: 'active', sub: 'running' },
      'nginx.service': { active: 'active', sub: 'running' },
      'slm-copilot-renew.timer': { active: 'active', sub: 'waiting' },
    },
    listening: ['0.0.0.0:443', '127.0.0.1:8081'],
    relay: {
      status: workers > 0 ? 200 : 503,
      body: JSON.stringify({ status: workers > 0 ? 'ready' : 'down', workers }),
    },
    modelFile: false,
  };
}

export function configuredRoot(): string {
  if (configured === null) throw new Error('configureOnce() has not run (call it in a before hook)');
  return configured;
}

const hex4 = (address: string) =>
  address
    .split('.')
    .map((octet) => Number(octet).toString(16).padStart(2, '0').toUpperCase())
    .reverse()
    .join('');

/** /proc/net/tcp with these sockets in LISTEN state. */
export function procNetTcp(sockets: readonly string[]): string {
  const header =
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
  const lines = sockets.map((socket, index) => {
    const [address, port] = socket.split(':') as [string, string];
    const local = `${hex4(address)}:${Number(port).toString(16).padStart(4, '0').toUpperCase()}`;
    return `   ${index}: ${local} 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 ${1000 + index} 1 0000000000000000 100 0 0 10 0`;
  });
  return `${header}${lines.join('\n')}\n`;
}

export interface FixtureRoot {
  readonly root: string;
  readonly proc: string;
  readonly context: string;
}

const made: string[] = [];

/** Removes every fixture root made so far (they hold a sparse 14 GB model file). */
export function removeFixtureRoots(): void {
  for (const root of made.splice(0)) rmSync(root, { recursive: true, force: true });
}

export function fixtureRoot(scenario: Scenario, from = configuredRoot()): FixtureRoot {
  const root = mkdtempSync(join(tmpdir(), 'slm-doctor-'));
  made.push(root);
  // Never copy a (sparse, 14 GB) model file: cpSync would write it out in full.
  cpSync(from, root, { recursive: true, filter: (source) => !source.endsWith('.gguf') });
  const proc = join(root, 'proc');
  mkdirSync(join(proc, 'net'), { recursive: true });
  for (const file of ['cpuinfo', 'meminfo'])
    cpSync(join(FIXTURE_HOSTS, scenario.host, file), join(proc, file));
  writeFileSync(join(proc, 'net/tcp'), procNetTcp(scenario.listening));
  mkdirSync(join(root, 'doctor/systemctl'), { recursive: true });
  mkdirSync(join(root, 'doctor/journal'), { recursive: true });
  for (const [unit, state] of Object.entries(scenario.units)) {
    const show = [
      'LoadState=loaded',
      `ActiveState=${state.active}`,
      `SubState=${state.sub}`,
      `Result=${state.result ?? 'success'}`,
      `NRestarts=${state.restarts ?? 0}`,
      'UnitFileState=enabled',
    ];
    writeFileSync(join(root, 'doctor/systemctl', `${unit}.show`), `${show.join('\n')}\n`);
    if (state.journal !== undefined)
      writeFileSync(join(root, 'doctor/journal', `${unit}.log`), state.journal);
  }
  writeFileSync(join(root, 'doctor/relay-health.json'), JSON.stringify(scenario.relay));
  if (scenario.modelFile) {
    const model = join(root, 'var/lib/local-ai/models', MODEL.file);
    writeFileSync(model, '');
    truncateSync(model, MODEL.weightsBytes);
  }
  return { root, proc, context: join(root, 'context.sh') };
}
