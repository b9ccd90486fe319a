/**
 * Issue 15, the scale-out on OneFlow, on real engines: a front (this process: the router and its OneGate membership,
 * on the bridge address) and workers in their own network namespaces (llama-server and the relay on the namespace's
 * loopback, nginx with the rendered worker site on its address, READY and metrics published by the relay's worker
 * publisher), all discovering each other through the OneGate stand-in of tools/onegate/. Cases:
 * a. six keys, each with its own system prompt, five turns each, three workers, in one run: every turn from the
 *    second that was not spilled finds the previous prompt in its worker's cache (cache_n ≥ previous prompt − 8);
 *    the prompt tokens recomputed by sticky routing and by round-robin, printed as a ratio;
 * b. a worker added to the stand-in gets new keys within one membership period; a worker removed, and one killed,
 *    lose none of the requests that arrive afterwards;
 * c. a worker refuses requests without the service secret and from another address; its engine and relay ports
 *    refuse connections from outside;
 * d. a worker stopped (SIGTERM) while OneGate still lists it finishes the stream it serves, and answers the requests
 *    after it 503, which the front sends to another worker.
 * Needs root, iproute2, nginx, curl and `make engine`.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { getServiceExtended } from '../../../src/appliance/onegate/client.ts';
import { Membership } from '../../../src/appliance/router/membership.ts';
import { type RoutedEvent, type RunningRouter, startRouter } from '../../../src/appliance/router/router.ts';
import { fetchPinnedCa, pinnedAgent } from '../../../src/appliance/router/workerLink.ts';
import { KEY_NAME_HEADER, SERVICE_SECRET_HEADER } from '../../../src/core/facts/headers.ts';
import { RELAY_ADDRESS } from '../../../src/core/facts/layout.ts';
import { SPILL_QUEUE_DEFAULT } from '../../../src/core/facts/oneflow.ts';
import { type OneGateStandin, startOneGateStandin, tokenOf } from '../../../tools/onegate/standin.ts';
import {
  agentSystem,
  firstTurn,
  type Message,
  streamTurn,
  type Timings,
  type TurnRequest,
} from '../../support/agentSessions.ts';
import {
  addNamespace,
  cleanLab,
  createLab,
  FRONT_ADDRESS,
  frontSubnets,
  inNamespace,
  type LabWorker,
  SUBNET,
  startWorker,
} from '../../support/oneflow/lab.ts';

const SECRET = 'scale-out-suite-secret-0123456789abcdef';
const WORKER_PORT = 8443;
const PERIOD_MS = 1_000;
const SYSTEM_TOKENS = 1_200;
const KEYS = 6;
const TURNS = 5;
const FRONT_VM = '1';

interface Recorded {
  readonly key: string;
  readonly turn: number;
  readonly worker: string;
  readonly spilled: boolean;
  readonly timings: Timings;
}

const promptOf = (t: Timings) => t.prompt_n + t.cache_n;

describe('scale-out on OneFlow: sticky routing over workers in network namespaces', () => {
  let standin: OneGateStandin;
  let router: RunningRouter;
  let membership: Membership;
  let timer: NodeJS.Timeout | undefined;
  const workers: LabWorker[] = [];
  const events: RoutedEvent[] = [];
  const log: string[] = [];
  const refresh = async () => router.setWorkers(await membership.refresh());

  before(async () => {
    createLab();
    standin = await startOneGateStandin(FRONT_ADDRESS);
    standin.addVm(FRONT_VM, 'front', [FRONT_ADDRESS]);
    const access = { endpoint: standin.url, token: tokenOf(FRONT_VM), vmId: FRONT_VM };
    router = await startRouter({
      host: '127.0.0.1',
      port: 0,
      secret: SECRET,
      keyNameHeader: KEY_NAME_HEADER,
      spillQueue: SPILL_QUEUE_DEFAULT,
      bodyLimitBytes: 8 * 1024 * 1024,
      log: (line) => log.push(line),
    });
    router.onRouted((event) => events.push(event));
    membership = new Membership({
      readService: () => getServiceExtended(access),
      ownSubnets: frontSubnets,
      workerPort: WORKER_PORT,
      pinCa: (url, fingerprint) => fetchPinnedCa(url, fingerprint),
      agentFor: pinnedAgent,
      log: (line) => log.push(line),
    });
    const config = { port: WORKER_PORT, secret: SECRET, publishPeriodMs: PERIOD_MS, contextSize: 8192 };
    for (const index of [1, 2, 3]) workers.push(await startWorker(standin, index, config));
    for (const worker of workers)
      console.log(`# worker VM ${worker.vmId} serving after ${worker.startMs.toFixed(0)} ms`);
    const tick = () => {
      timer = setTimeout(() => void refresh().finally(() => timer !== undefined && tick()), PERIOD_MS);
    };
    await waitFor(async () => {
      await refresh();
      return router.table.workers.length === 3;
    }, 60_000);
    tick();
  });

  after(async () => {
    clearTimeout(timer);
    timer = undefined;
    await Promise.all(workers.map((worker) => worker.stop()));
    await router?.close();
    await standin?.close();
    cleanLab();
    if (process.exitCode) console.log(log.join('\n'));
  });

  it('workers published READY=YES, their CA fingerprint and metrics; the front lists exactly the READY ones', async () => {
    await waitFor(
      async () => workers.every((w) => standin.vm(w.vmId)?.userTemplate.has('SLM_COPILOT_BUSY')),
      3 * PERIOD_MS,
    );
    for (const worker of workers) {
      const vm = standin.vm(worker.vmId);
      assert.equal(vm?.userTemplate.get('READY'), 'YES');
      assert.equal(vm?.userTemplate.get('ONEAPP_COPILOT_CA_FINGERPRINT'), worker.ready.caFingerprint);
      assert.match(vm?.userTemplate.get('SLM_COPILOT_QUEUE') ?? '', /^\d+$/);
    }
    assert.deepEqual([...router.table.workers], ['11', '12', '13']);
  });

  it('a. six keys × five turns: non-spilled turns reuse the previous prompt; sticky recomputes far less than round-robin', async () => {
    const sticky = await runSessions('sticky', (request) =>
      streamTurn(`http://127.0.0.1:${router.port}`, request),
    );
    let next = 0;
    const roundRobin = await runSessions('rr', (request) => {
      pinTo(request.key, workers[next++ % workers.length] as LabWorker);
      return streamTurn(`http://127.0.0.1:${router.port}`, request);
    });
    const checked = sticky.filter((turn) => turn.turn > 0 && !turn.spilled);
    for (const turn of checked) {
      const previous = sticky.find((t) => t.key === turn.key && t.turn === turn.turn - 1) as Recorded;
      assert.ok(
        turn.timings.cache_n >= promptOf(previous.timings) - 8,
        `${turn.key} turn ${turn.turn + 1} on worker ${turn.worker}: cache_n ${turn.timings.cache_n} < previous prompt ${promptOf(previous.timings)} − 8`,
      );
    }
    const recomputed = (turns: Recorded[]) => turns.reduce((sum, t) => sum + t.timings.prompt_n, 0);
    const ratio = recomputed(sticky) / recomputed(roundRobin);
    console.log(
      `# sticky recomputed ${recomputed(sticky)} prompt tokens, round-robin ${recomputed(roundRobin)}: ratio ${ratio.toFixed(3)}; ${sticky.filter((t) => t.spilled).length} of ${sticky.length} sticky turns spilled, ${checked.length} checked`,
    );
    assert.ok(checked.length >= KEYS * (TURNS - 1) - 8, `only ${checked.length} turns were not spilled`);
    assert.ok(ratio < 0.6, `sticky/round-robin ratio ${ratio}`);
  });

  it('b. an added worker gets new keys within one period; a removed and a killed worker lose no later request', async () => {
    const added = await startWorker(standin, 4, {
      port: WORKER_PORT,
      secret: SECRET,
      publishPeriodMs: PERIOD_MS,
      contextSize: 8192,
    });
    workers.push(added);
    await waitFor(async () => standin.vm(added.vmId)?.userTemplate.get('READY') === 'YES', 30_000);
    const readyAt = performance.now();
    await waitFor(async () => router.table.workers.includes(added.vmId), 10_000);
    const listedAfter = performance.now() - readyAt;
    console.log(`# worker ${added.vmId} routed to ${listedAfter.toFixed(0)} ms after READY=YES`);
    assert.ok(listedAfter <= 2 * PERIOD_MS + 500, `listed after ${listedAfter} ms`);
    const fresh = Array.from({ length: 12 }, (_, i) => `new${i}`);
    const placed = await Promise.all(fresh.map((key) => oneTurn(key)));
    assert.ok(placed.includes(added.vmId), `no new key went to the added worker: ${placed.join(', ')}`);

    const keys = [...fresh, ...Array.from({ length: KEYS }, (_, i) => `sticky-key${i}`)];
    // Removed: OneFlow scales it in (the stand-in drops it) and it stops.
    const removed = workers[1] as LabWorker;
    standin.removeVm(removed.vmId);
    await removed.stop();
    // Killed: its nginx dies while OneGate still lists it as RUNNING and READY.
    const killed = workers[2] as LabWorker;
    killed.process.kill('SIGUSR1');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const results = await Promise.allSettled(keys.map((key) => oneTurn(key)));
    const failures = results.filter((r) => r.status === 'rejected');
    assert.deepEqual(failures, [], 'every request after the removal and the kill was served');
    const servedBy = results.map((r) => (r as PromiseFulfilledResult<string>).value);
    assert.ok(!servedBy.includes(killed.vmId) && !servedBy.includes(removed.vmId), servedBy.join(', '));
  });

  it('c. a worker refuses other addresses and requests without the secret; its engine and relay ports are closed to the network', async () => {
    const worker = workers[0] as LabWorker;
    const url = `https://${worker.address}:${WORKER_PORT}/v1/models`;
    const outsider = addNamespace('other', `${SUBNET}.50`);
    const status = (ns: string | null, headers: string[]) => {
      const args = [
        'curl',
        '-sk',
        '-o',
        '/dev/null',
        '-w',
        '%{http_code}',
        ...headers.flatMap((h) => ['-H', h]),
        url,
      ];
      const [file, ...rest] = args as [string, ...string[]];
      return ns === null ? execFileSync(file, rest).toString() : inNamespace(ns, args);
    };
    assert.equal(
      status(outsider, [`${SERVICE_SECRET_HEADER}: ${SECRET}`]),
      '403',
      'another address, with the secret',
    );
    assert.equal(status(null, []), '403', "the front's address, no secret");
    assert.equal(status(null, [`${SERVICE_SECRET_HEADER}: wrong-${SECRET}`]), '403', 'a wrong secret');
    assert.equal(status(null, [`${SERVICE_SECRET_HEADER}: ${SECRET}`]), '200', 'the front with the secret');
    for (const port of [worker.ready.enginePort, RELAY_ADDRESS.port]) {
      const outcome = await new Promise<string>((resolve) => {
        const socket = connect({ host: worker.address, port, timeout: 3_000 });
        socket.once('connect', () => {
          socket.destroy();
          resolve('connected');
        });
        socket.once('timeout', () => {
          socket.destroy();
          resolve('timeout');
        });
        socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      });
      assert.equal(outcome, 'ECONNREFUSED', `port ${port} of ${worker.address}`);
    }
  });

  it('d. a worker stopped mid-stream (SIGTERM, still READY in OneGate): its stream finishes, its keys go elsewhere at once', async () => {
    const stopping = workers[3] as LabWorker;
    const other = workers[0] as LabWorker;
    pinTo('drain-long', stopping);
    const long = streamTurn(`http://127.0.0.1:${router.port}`, {
      key: 'drain-long',
      messages: [
        { role: 'system', content: agentSystem(6_000, 'drain') },
        { role: 'user', content: 'Hi' },
      ],
      maxTokens: 8,
    });
    await waitFor(async () => router.inFlight(stopping.vmId) === 1, 5_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(
      router.inFlight(stopping.vmId),
      1,
      'the long stream is still in flight when the worker stops',
    );
    const exited = once(stopping.process, 'exit');
    stopping.process.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const keys = ['drain-a', 'drain-b', 'drain-c'];
    for (const key of keys) pinTo(key, stopping);
    const servedBy = await Promise.all(keys.map((key) => oneTurn(key)));
    assert.ok(router.inFlight(stopping.vmId) === 1, 'the long stream outlived the later requests');
    assert.deepEqual(
      servedBy,
      keys.map(() => other.vmId),
      'the later requests went to the other worker',
    );
    assert.ok(
      log.some((line) => line.includes(`worker ${stopping.vmId} failed before answering (503)`)),
      'the stopping worker answered 503',
    );
    const reply = await long;
    assert.ok(promptOf(reply.timings) > 4_000, 'the long stream ended with its answer and usage');
    assert.ok(!log.some((line) => line.includes(`worker ${stopping.vmId} broke a response`)), log.join('\n'));
    await exited;
  });

  /** Every key's five turns, the keys concurrently, each key with its own workspace (system prompt). */
  async function runSessions(
    label: string,
    send: (request: TurnRequest) => Promise<{ timings: Timings; text: string }>,
  ): Promise<Recorded[]> {
    const recorded: Recorded[] = [];
    await Promise.all(
      Array.from({ length: KEYS }, async (_, k) => {
        const key = `${label}-key${k}`;
        const first = firstTurn(
          key,
          agentSystem(SYSTEM_TOKENS, `${label}${k}`),
          `Task ${k}: fix the failing test.`,
        );
        const messages: Message[] = [...(first.messages as Message[])];
        for (let turn = 0; turn < TURNS; turn++) {
          const before = events.length;
          const reply = await send({ ...first, messages: [...messages], maxTokens: 8 });
          const event = routedEvent(before, key);
          recorded.push({
            key,
            turn,
            worker: event.worker,
            spilled: event.spilled,
            timings: reply.timings,
          });
          messages.push(
            { role: 'assistant', content: reply.text },
            { role: 'user', content: `Step ${turn + 1} of task ${k}: the output was ${turn * 7 + k} lines.` },
          );
        }
      }),
    );
    return recorded;
  }

  async function oneTurn(key: string): Promise<string> {
    const before = events.length;
    await streamTurn(`http://127.0.0.1:${router.port}`, {
      key,
      messages: [
        { role: 'system', content: `You help with ${key}.` },
        { role: 'user', content: 'Hi' },
      ],
      maxTokens: 2,
    });
    return routedEvent(before, key).worker;
  }

  /** Where the router sent `key`'s request (every answered request has one). */
  function routedEvent(before: number, key: string): RoutedEvent {
    const event = events.slice(before).find((e) => e.key === key);
    assert.ok(event !== undefined, `the router reported no routing of ${key}`);
    return event;
  }

  /** The round-robin baseline: before each turn the key's home is set to the next worker in turn. */
  function pinTo(key: string, worker: LabWorker): void {
    router.table.moveKey(key, router.table.homeOf(key) ?? '');
    router.table.place(
      key,
      () => 0,
      router.table.workers.filter((w) => w !== worker.vmId),
    );
  }
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
