// npm run bench:gateway — what the real nginx gateway (TLS, auth, CORS, unbuffered proxying) adds to a stream:
// per-chunk latency (p50, p99) and time to first byte, against the same upstream reached directly, in one run.
// Needs the built bundle (make build) and Debian's nginx. Prints ratios; asserts nothing.
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { startSandbox } from '../test/support/sandbox.ts';
import { percentile, type StreamTiming, startTimedUpstream, timeStream } from './bench/timedUpstream.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 100);
const INTERVAL_MS = Number(process.env.BENCH_INTERVAL_MS ?? 2);

const upstream = await startTimedUpstream();
const sandbox = await startSandbox({ upstream: upstream.url });
const { readFileSync } = await import('node:fs');
const ca = readFileSync(sandbox.caPath, 'utf8');
const key = Object.values(sandbox.credentials.keys)[0] as string;
const body = JSON.stringify({ events: EVENTS, intervalMs: INTERVAL_MS });
const headers = { 'Content-Type': 'application/json', Authorization: `Bearer ${key}` };
const httpAgent = new HttpAgent({ keepAlive: true });
const httpsAgent = new HttpsAgent({ keepAlive: true, ca });

const direct = (): Promise<StreamTiming> =>
  timeStream((onResponse) => {
    httpRequest(
      `${upstream.url}/v1/chat/completions`,
      { method: 'POST', headers, agent: httpAgent },
      onResponse,
    ).end(body);
  });
const gateway = (): Promise<StreamTiming> =>
  timeStream((onResponse) => {
    httpsRequest(
      `${sandbox.url}/v1/chat/completions`,
      { method: 'POST', headers, agent: httpsAgent },
      onResponse,
    ).end(body);
  });

const results = { direct: [] as StreamTiming[], gateway: [] as StreamTiming[] };
await direct();
await gateway();
for (let round = 0; round < ROUNDS; round++) {
  results.direct.push(await direct());
  results.gateway.push(await gateway());
}
await sandbox.stop();
await upstream.close();
httpAgent.destroy();
httpsAgent.destroy();

const summary = (timings: StreamTiming[]) => {
  const latencies = timings.flatMap((timing) => timing.latenciesMs);
  const firstBytes = timings.map((timing) => timing.headersMs);
  if (timings.some((timing) => timing.events !== EVENTS)) throw new Error('a stream lost events');
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), ttfb: percentile(firstBytes, 50) };
};
const d = summary(results.direct);
const g = summary(results.gateway);
const row = (name: string, direct: number, via: number) =>
  `${name.padEnd(28)} ${direct.toFixed(3).padStart(9)} ${via.toFixed(3).padStart(9)} ${(via - direct).toFixed(3).padStart(9)} ${(via / direct).toFixed(2).padStart(7)}x`;
console.log(
  `gateway benchmark: ${ROUNDS} streams × ${EVENTS} events, ${INTERVAL_MS} ms apart, each path, same run`,
);
console.log(
  `${'ms'.padEnd(28)} ${'direct'.padStart(9)} ${'gateway'.padStart(9)} ${'added'.padStart(9)} ${'ratio'.padStart(8)}`,
);
console.log(row('per-chunk latency p50', d.p50, g.p50));
console.log(row('per-chunk latency p99', d.p99, g.p99));
console.log(row('time to first byte p50', d.ttfb, g.ttfb));
