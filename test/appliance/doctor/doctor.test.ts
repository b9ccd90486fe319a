import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runMain } from '../../support/cli.ts';
import {
  configuredRole,
  configureOnce,
  type FixtureRoot,
  FRONT_ADDRESS,
  fixtureRoot,
  HEALTHY,
  HEALTHY_WORKER,
  healthyFront,
  RUNNING,
  removeFixtureRoots,
  type Scenario,
} from '../../support/doctorFixture.ts';
import { runStageHere } from '../../support/stages.ts';

interface Finding {
  id: string;
  status: string;
  reason: string;
  cause?: string;
  fix?: string;
}
interface DoctorReport {
  exitCode: number;
  findings: Finding[];
}

function doctor(fixture: FixtureRoot, json = true) {
  const args = ['doctor', '--root', fixture.root, '--proc', fixture.proc, '--context', fixture.context];
  return runMain(json ? [...args, '--json'] : args);
}

async function report(fixture: FixtureRoot): Promise<DoctorReport & { status: number | null }> {
  const run = await doctor(fixture);
  return { ...(JSON.parse(run.stdout) as DoctorReport), status: run.status };
}

const byId = (findings: readonly Finding[], id: string) => {
  const finding = findings.find((f) => f.id === id);
  assert.ok(finding, `no finding ${id} among ${findings.map((f) => f.id).join(', ')}`);
  return finding;
};
const problems = (findings: readonly Finding[]) =>
  findings.filter((f) => f.status === 'fail').map((f) => f.id);

describe('slm-copilot doctor (on fixture hosts)', () => {
  before(configureOnce);
  after(removeFixtureRoots);

  it('finds nothing wrong on a healthy host, one line per finding', async () => {
    const fixture = fixtureRoot(HEALTHY);
    const result = await report(fixture);
    assert.equal(result.status, 0, JSON.stringify(result.findings, null, 2));
    assert.deepEqual(
      result.findings.filter((f) => f.status !== 'pass').map((f) => `${f.id}: ${f.reason}`),
      [],
    );
    assert.match(byId(result.findings, 'llama-cpu-variant').reason, /"zen4" CPU build/);
    const text = await doctor(fixture, false);
    assert.match(text.stdout, /^PASS {2}cpu-flags +AMD EPYC 9354 32-Core Processor: AVX2, FMA, F16C/m);
    assert.match(text.stdout, /^PASS {2}port:8080 +LocalAI: listening on 127\.0\.0\.1$/m);
    assert.match(text.stdout, /^doctor: \d+ ok, 0 warning\(s\), 0 problem\(s\)$/m);
  });

  it('a generic QEMU CPU: no AVX2 and a fallback llama.cpp build, both with the host-passthrough fix', async () => {
    const scenario: Scenario = {
      ...HEALTHY,
      host: 'qemu-generic-16c-32g',
      units: {
        ...RUNNING,
        'local-ai.service': {
          active: 'active',
          sub: 'running',
          journal:
            'CPU: no AVX2   found\n+ exec /var/lib/local-ai/backends/cpu-llama-cpp/llama-cpp-fallback --addr 127.0.0.1:34567\n',
        },
      },
    };
    const result = await report(fixtureRoot(scenario));
    assert.equal(result.status, 1);
    assert.deepEqual(problems(result.findings), ['cpu-flags', 'llama-cpu-variant']);
    const cpu = byId(result.findings, 'cpu-flags');
    assert.match(cpu.reason, /QEMU Virtual CPU.*shows no AVX2/);
    assert.match(cpu.cause ?? '', /QEMU's generic CPU model/);
    assert.match(cpu.fix ?? '', /CPU_MODEL=\[MODEL="host-passthrough"\]/);
    assert.match(byId(result.findings, 'llama-cpu-variant').fix ?? '', /host-passthrough/);
    // 16 cores without SMT: the plan now says 16 threads, LocalAI still runs with what configure wrote.
    assert.match(byId(result.findings, 'config-drift').reason, /threads 8 \(plan: 16\)/);
  });

  it('small RAM and a refused context at the last boot: each reported with its fix', async () => {
    const base = fixtureRoot({ ...HEALTHY, modelFile: false });
    // The next boot's configure refuses a bad value and records it in the report.
    assert.equal((await runStageHere(base.root, 'configure', ['ONEAPP_COPILOT_API_TIMEOUT=soon'])).status, 2);
    const result = await report(fixtureRoot({ ...HEALTHY, host: 'xeon-small-8g' }, base.root));
    assert.equal(result.status, 1);
    const memory = byId(result.findings, 'memory');
    assert.equal(memory.status, 'fail');
    assert.match(memory.reason, /does not fit this VM's 7\.8 GiB of RAM/);
    assert.match(memory.fix ?? '', /MEMORY=32768/);
    assert.equal(byId(result.findings, 'cpu-cores').status, 'warn');
    assert.match(byId(result.findings, 'cpu-cores').fix ?? '', /VCPU=16/);
    const refused = byId(result.findings, 'configure-error.1');
    assert.equal(refused.status, 'fail');
    assert.match(refused.reason, /ONEAPP_COPILOT_API_TIMEOUT/);
    assert.match(refused.fix ?? '', /onevm updateconf/);
    assert.equal(byId(result.findings, 'context').status, 'fail');
  });

  it('a stopped service: its state, last error, cause and fix; the port and the relay say so too', async () => {
    const scenario: Scenario = {
      ...HEALTHY,
      units: {
        ...RUNNING,
        'local-ai.service': {
          active: 'failed',
          sub: 'failed',
          result: 'core-dump',
          journal:
            'Started local-ai.service\nlocal-ai.service: Main process exited, code=dumped, status=4/ILL\nlocal-ai.service: Failed with result core-dump.\n',
        },
        'slm-copilot-relay.service': {
          active: 'inactive',
          sub: 'dead',
          journal: 'Stopped slm-copilot-relay.service.\n',
        },
      },
      listening: ['0.0.0.0:443'],
      relay: { error: 'ECONNREFUSED' },
    };
    const result = await report(fixtureRoot(scenario));
    assert.equal(result.status, 1);
    assert.deepEqual(problems(result.findings), [
      'local-ai',
      'slm-copilot-relay',
      'port:8081',
      'port:8080',
      'relay',
    ]);
    const localai = byId(result.findings, 'local-ai');
    assert.match(
      localai.reason,
      /^failed \(failed\), result core-dump; last error: local-ai\.service: Failed with result core-dump\.$/,
    );
    assert.match(localai.fix ?? '', /journalctl -u local-ai\.service -b/);
    assert.match(byId(result.findings, 'slm-copilot-relay').reason, /^inactive \(dead\)/);
    assert.match(byId(result.findings, 'relay').fix ?? '', /systemctl status slm-copilot-relay/);
    assert.match(byId(result.findings, 'port:8080').reason, /nothing listens on port 8080 \(LocalAI\)/);
  });

  it('LocalAI listening beyond loopback and a missing model file are problems', async () => {
    const result = await report(
      fixtureRoot({
        ...HEALTHY,
        listening: [...HEALTHY.listening.filter((s) => !s.endsWith(':8080')), '0.0.0.0:8080'],
        modelFile: false,
      }),
    );
    assert.deepEqual(problems(result.findings), ['model-file', 'port:8080']);
    assert.match(
      byId(result.findings, 'port:8080').reason,
      /LocalAI listens on 0\.0\.0\.0, not only on loopback/,
    );
  });

  it('port 80: closed is right without a domain; something listening there is a warning with its fix', async () => {
    const closed = await report(fixtureRoot(HEALTHY));
    assert.match(byId(closed.findings, 'port:80').reason, /^closed: no domain is set/);
    const open = await report(fixtureRoot({ ...HEALTHY, listening: [...HEALTHY.listening, '0.0.0.0:80'] }));
    const finding = byId(open.findings, 'port:80');
    assert.equal(finding.status, 'warn');
    assert.match(finding.reason, /listens on port 80 \(0\.0\.0\.0\) although no domain is set/);
    assert.match(finding.fix ?? '', /slm-copilot configure/);
  });
});

describe('slm-copilot doctor on a OneFlow worker and front (fixture hosts)', () => {
  let worker = '';
  let front = '';
  let frontTwoKeys = '';
  before(async () => {
    worker = await configuredRole('worker');
    front = await configuredRole('front');
    frontTwoKeys = await configuredRole('front', [
      `alice:sk-alice-${'a'.repeat(32)}`,
      `bob:sk-bob-${'b'.repeat(32)}`,
    ]);
  });
  after(() => {
    for (const root of [worker, front, frontTwoKeys]) rmSync(root, { recursive: true, force: true });
    removeFixtureRoots();
  });
  const nonPassing = (findings: readonly Finding[]) =>
    findings.filter((f) => f.status !== 'pass').map((f) => `${f.id}: ${f.reason}`);

  it('a serving worker: its site admits only the front, the OneGate token is there, READY=YES was published', async () => {
    const result = await report(fixtureRoot(HEALTHY_WORKER, worker));
    assert.equal(result.status, 0, JSON.stringify(result.findings, null, 2));
    assert.deepEqual(nonPassing(result.findings), []);
    assert.equal(
      byId(result.findings, 'worker-site').reason,
      `admits only the front at ${FRONT_ADDRESS} (ONEAPP_COPILOT_SERVICE_FRONT)`,
    );
    assert.equal(byId(result.findings, 'onegate-token').status, 'pass');
    assert.match(byId(result.findings, 'onegate-ready').reason, /published READY=YES/);
  });

  it('a worker admitting another address, without its token, whose READY was refused: each a problem with its fix', async () => {
    const fixture = fixtureRoot(
      {
        ...HEALTHY_WORKER,
        units: {
          ...RUNNING,
          'slm-copilot-relay.service': {
            active: 'active',
            sub: 'running',
            journal: 'relay: OneGate READY=YES not published (OneGate PUT /vm answered 401); retrying\n',
          },
        },
      },
      worker,
    );
    const site = join(fixture.root, 'etc/slm-copilot/nginx/slm-copilot.conf');
    writeFileSync(site, readFileSync(site, 'utf8').replace(`allow ${FRONT_ADDRESS};`, 'allow 10.0.0.9;'));
    rmSync(join(fixture.root, 'etc/slm-copilot/onegate.token'));
    const result = await report(fixture);
    assert.equal(result.status, 1);
    assert.deepEqual(problems(result.findings), ['worker-site', 'onegate-token', 'onegate-ready']);
    const siteFinding = byId(result.findings, 'worker-site');
    assert.match(
      siteFinding.reason,
      /admits 10\.0\.0\.9, not only the front at 10\.0\.0\.5 \(ONEAPP_COPILOT_SERVICE_FRONT\)/,
    );
    assert.match(siteFinding.fix ?? '', /slm-copilot configure/);
    assert.match(byId(result.findings, 'onegate-token').fix ?? '', /TOKEN=YES/);
    assert.match(byId(result.findings, 'onegate-ready').reason, /answered 401/);
  });

  it('a worker serving the client site is a problem', async () => {
    const fixture = fixtureRoot(HEALTHY_WORKER, worker);
    const clientSite = readFileSync(join(front, 'etc/slm-copilot/nginx/slm-copilot.conf'), 'utf8');
    writeFileSync(join(fixture.root, 'etc/slm-copilot/nginx/slm-copilot.conf'), clientSite);
    const finding = byId((await report(fixture)).findings, 'worker-site');
    assert.equal(finding.status, 'fail');
    assert.match(finding.reason, /client site/);
  });

  it('a front with two workers and a key each: all well, and nothing about LocalAI, the model or its RAM', async () => {
    const result = await report(fixtureRoot(healthyFront(2), frontTwoKeys));
    assert.equal(result.status, 0, JSON.stringify(result.findings, null, 2));
    assert.deepEqual(nonPassing(result.findings), []);
    const ids = result.findings.map((f) => f.id);
    for (const absent of [
      'model-file',
      'llama-cpu-variant',
      'local-ai',
      'port:8080',
      'memory',
      'config-drift',
      'relay',
    ])
      assert.ok(!ids.includes(absent), `${absent} among ${ids.join(', ')}`);
    assert.equal(byId(result.findings, 'router').reason, 'routes to 2 worker(s)');
    assert.match(byId(result.findings, 'port:8081').reason, /the router: listening on 127\.0\.0\.1/);
    assert.equal(byId(result.findings, 'keys-per-worker').reason, '2 API key(s) for 2 worker(s)');
  });

  it('a front whose router knows no worker fails with the fix; one key for three workers warns', async () => {
    const none = await report(fixtureRoot(healthyFront(0), front));
    assert.equal(none.status, 1);
    assert.deepEqual(problems(none.findings), ['router']);
    assert.match(byId(none.findings, 'router').reason, /knows no worker/);
    assert.match(byId(none.findings, 'router').fix ?? '', /oneflow show/);

    const crowded = await report(fixtureRoot(healthyFront(3), front));
    const keys = byId(crowded.findings, 'keys-per-worker');
    assert.equal(keys.status, 'warn');
    assert.equal(keys.reason, '1 API key(s) for 3 workers');
    assert.match(keys.cause ?? '', /one shared key pins everyone to one worker/);
    assert.match(keys.fix ?? '', /give each user a key in ONEAPP_COPILOT_AUTH_KEYS/);
  });
});
