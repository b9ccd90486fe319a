/**
 * One OneFlow worker for the scale-out suite, run inside its network namespace (`ip netns exec <ns> node --import
 * tsx workerProcess.ts '<json>'`): llama-server and the relay on the namespace's loopback, nginx with the rendered
 * worker site on the namespace's address, its own CA (test PKI), and what the appliance publishes to OneGate: the CA
 * fingerprint (bootstrap's publication), then READY=YES and the metrics (the relay's worker publisher). Prints one
 * JSON line when it serves; SIGTERM stops it as systemd stops a worker (the relay drains first); SIGUSR1 kills its
 * nginx (a worker whose front door died).
 */
import { X509Certificate } from 'node:crypto';
import { oneGateAccess, putVm } from '../../../src/appliance/onegate/client.ts';
import { stopRelay } from '../../../src/appliance/relay/main.ts';
import { startRelay } from '../../../src/appliance/relay/server.ts';
import { startWorkerPublisher } from '../../../src/appliance/relay/workerPublisher.ts';
import { RELAY_ADDRESS } from '../../../src/core/facts/layout.ts';
import { ONEGATE_ATTRIBUTES } from '../../../src/core/facts/oneflow.ts';
import { startEngine } from '../../../tools/engine/server.ts';
import { makeTestPki } from '../certificates.ts';
import { startWorkerSite } from './workerSite.ts';

export interface WorkerProcessConfig {
  readonly address: string;
  readonly port: number;
  readonly frontAddress: string;
  readonly secret: string;
  readonly publishPeriodMs: number;
  readonly contextSize: number;
}

export interface WorkerReadyLine {
  readonly enginePort: number;
  readonly caFingerprint: string;
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as WorkerProcessConfig;
  const access = oneGateAccess('/', process.env);
  if (access === null)
    throw new Error('no OneGate access in the environment (ONEGATE_ENDPOINT, TOKENTXT, VMID)');
  const log = (line: string) => process.stderr.write(`[vm ${access.vmId}] ${line}\n`);
  const engine = await startEngine({
    size: 'small',
    threads: 1,
    contextSize: config.contextSize,
    maxTokens: 8,
  });
  const relay = await startRelay({
    host: RELAY_ADDRESS.host,
    port: RELAY_ADDRESS.port,
    upstreamUrl: engine.url,
    readiness: { pollIntervalMs: 200 },
    log,
  });
  const pki = makeTestPki();
  const nginx = await startWorkerSite({
    address: config.address,
    port: config.port,
    frontAddress: config.frontAddress,
    secret: config.secret,
    tls: { chainPem: pki.leafPem + pki.caPem, keyPem: pki.leafKeyPem, caPem: pki.caPem },
  });
  const caFingerprint = new X509Certificate(pki.caPem).fingerprint256;
  await putVm(access, { [ONEGATE_ATTRIBUTES.caFingerprint]: caFingerprint });
  const publisher = startWorkerPublisher({
    put: (values) => putVm(access, values),
    state: relay.state,
    queue: relay.queue,
    periodMs: config.publishPeriodMs,
    sampleMs: 100,
    retryMs: 500,
    log,
    now: () => performance.now(),
  });
  const line: WorkerReadyLine = { enginePort: engine.port, caFingerprint };
  process.stdout.write(`${JSON.stringify(line)}\n`);
  process.on('SIGUSR1', () => nginx.kill('SIGKILL'));
  // As the appliance's worker stops: the relay drains (its streams finish, new requests get 503), then nginx goes.
  process.once('SIGTERM', () => {
    void stopRelay(relay, publisher)
      .then(() => {
        nginx.kill('SIGTERM');
        return engine.stop();
      })
      .then(() => process.exit(0));
  });
}

main().catch((error: Error) => {
  process.stderr.write(`worker: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
