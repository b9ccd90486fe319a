/**
 * How much the relay adds per streamed chunk: an SSE source paced at 1,000 chunks/s (LocalAI's chunk shape), read
 * directly and through the relay (its own process, as on the appliance), in the same run; then both unthrottled.
 * Prints a table of per-chunk latency (p50, p99) and chunks/s, with the relay's figures as ratios to the direct
 * ones. A benchmark, not a test: it asserts nothing, it prints what it measured.
 *
 *   npx tsx scripts/bench-relay.ts [--chunks N] [--rate R]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

interface Run {
  readonly chunks: number;
  /** Chunks per second the source aims at; 0 = as fast as it can write. */
  readonly rate: number;
  readonly includeUsage: boolean;
}

interface Measured {
  readonly latenciesMs: number[];
  readonly chunksPerSecond: number;
}

const PREFIX =
  'data: {"created":1795645366,"object":"chat.completion.chunk","id":"bench-0000","model":"devstral-small-2","choices":[{"index":0,"finish_reason":null,"delta":{"content":" token"}}],"i":';

/** The SSE source: per request, `chunks` events (at `rate`/s), each stamped with its index; send times kept. */
class PacedSource {
  readonly server: Server;
  /** performance.now() at which each event of the current stream was written. */
  sentAt: number[] = [];
  private run: Run = { chunks: 0, rate: 0, includeUsage: true };

  constructor() {
    this.server = createServer((req, res) => {
      req.resume();
      req.on('end', () => this.stream(res));
    });
    this.server.on('connection', (socket) => socket.setNoDelay(true));
  }

  prepare(run: Run): void {
    this.run = run;
    this.sentAt = new Array(run.chunks);
  }

  private stream(res: import('node:http').ServerResponse): void {
    const { chunks, rate, includeUsage } = this.run;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    let i = 0;
    const finish = () => {
      if (includeUsage)
        res.write(
          'data: {"id":"bench-0000","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":10,"completion_tokens":1}}\n\n',
        );
      res.end('data: [DONE]\n\n');
    };
    const write = () => {
      this.sentAt[i] = performance.now();
      res.write(`${PREFIX}${i}}\n\n`);
      i += 1;
    };
    if (rate === 0) {
      const burst = () => {
        while (i < chunks) {
          write();
          if (i % 64 === 0 && res.writableNeedDrain) {
            res.once('drain', burst);
            return;
          }
        }
        finish();
      };
      burst();
      return;
    }
    const start = performance.now();
    const tick = () => {
      const due = Math.min(chunks, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
      while (i < due) write();
      if (i < chunks) setTimeout(tick, 1);
      else finish();
    };
    tick();
  }
}

/** Streams one request; returns when each indexed event arrived. */
function read(url: string, run: Run, source: PacedSource): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const arrived = new Array<number>(run.chunks);
    const body = JSON.stringify({
      model: 'devstral-small-2',
      messages: [{ role: 'user', content: 'bench' }],
      stream: true,
      ...(run.includeUsage ? { stream_options: { include_usage: true } } : {}),
    });
    const req = request(
      `${url}/v1/chat/completions`,
      { method: 'POST', agent: false, headers: { 'content-type': 'application/json' } },
      (res) => {
        let carry = '';
        let first = 0;
        let last = 0;
        res.setEncoding('utf8');
        res.on('data', (text: string) => {
          const now = performance.now();
          if (first === 0) first = now;
          last = now;
          const events = (carry + text).split('\n\n');
          carry = events.pop() ?? '';
          for (const event of events) {
            const at = event.lastIndexOf('"i":');
            if (at !== -1) arrived[Number.parseInt(event.slice(at + 4), 10)] = now;
          }
        });
        res.on('end', () => {
          const latenciesMs = arrived.map((at, index) => at - (source.sentAt[index] as number));
          if (latenciesMs.some((value) => !Number.isFinite(value))) reject(new Error('events were lost'));
          const firstSent = source.sentAt[0] as number;
          resolve({
            latenciesMs,
            chunksPerSecond: (run.chunks / Math.max(last - firstSent, first - firstSent)) * 1000,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** Starts the relay as its own process (like systemd does) from a config file. */
function startRelayProcess(upstreamUrl: string): Promise<Child> {
  const dir = mkdtempSync(join(tmpdir(), 'slm-bench-relay-'));
  const config = join(dir, 'relay.json');
  writeFileSync(
    config,
    JSON.stringify({
      listen: { host: '127.0.0.1', port: 0 },
      upstream: { url: upstreamUrl, apiKeyFile: null },
      readiness: false,
    }),
  );
  const args = ['--import', 'tsx', fileURLToPath(import.meta.url), '--serve-relay', config];
  return listening(spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] }));
}

/**
 * The reference: the least any Node proxy in its own process costs (node:http, keep-alive agent, each chunk
 * written on as it comes, nothing else). What the relay adds beyond this row is its own work.
 */
const NODE_PIPE = `
const http = require('node:http');
const upstream = new URL(process.argv[1]);
const agent = new http.Agent({ keepAlive: true });
http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const headers = { 'content-type': 'application/json' };
    const call = http.request({ host: upstream.hostname, port: upstream.port, path: req.url, method: 'POST', agent, headers }, (up) => {
      res.writeHead(up.statusCode, { 'content-type': 'text/event-stream' });
      up.on('data', (c) => res.write(c));
      up.on('end', () => res.end());
    });
    call.end(Buffer.concat(chunks));
  });
}).listen(0, '127.0.0.1', function () { console.log('PORT ' + this.address().port); });
`;

interface Child {
  readonly url: string;
  readonly child: ChildProcess;
}

/** Resolves once the child prints "PORT n". */
function listening(child: ChildProcess): Promise<Child> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (text: string) => {
      out += text;
      const match = /^PORT (\d+)$/m.exec(out);
      if (match) resolve({ url: `http://127.0.0.1:${match[1]}`, child });
    });
    child.once('exit', (code) => reject(new Error(`a proxy exited (${code}) before listening`)));
  });
}

async function serveRelay(config: string): Promise<void> {
  const { runRelayFromConfigFile } = await import('../src/appliance/relay/main.ts');
  const relay = await runRelayFromConfigFile(config);
  process.stdout.write(`PORT ${relay.port}\n`);
}

const cells = (m: Measured) => [
  percentile(m.latenciesMs, 50).toFixed(3),
  percentile(m.latenciesMs, 99).toFixed(3),
  m.chunksPerSecond.toFixed(0),
];

function ratios(label: string, m: Measured, direct: Measured): string[] {
  const at = (p: number) => {
    const [a, b] = [percentile(m.latenciesMs, p), percentile(direct.latenciesMs, p)];
    return `×${(a / b).toFixed(2)} (${a >= b ? '+' : ''}${(a - b).toFixed(3)} ms)`;
  };
  return [label, at(50), at(99), `×${(m.chunksPerSecond / direct.chunksPerSecond).toFixed(2)}`];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      chunks: { type: 'string', default: '5000' },
      rate: { type: 'string', default: '1000' },
      'serve-relay': { type: 'string' },
    },
  });
  if (values['serve-relay'] !== undefined) return serveRelay(values['serve-relay']);
  const chunks = Number(values.chunks);
  const rate = Number(values.rate);
  const source = new PacedSource();
  await new Promise<void>((resolve) => source.server.listen(0, '127.0.0.1', resolve));
  const direct = `http://127.0.0.1:${(source.server.address() as AddressInfo).port}`;
  const children: Child[] = [];
  const measure = async (url: string, run: Run) => {
    source.prepare(run);
    return read(url, run, source);
  };
  try {
    const relay = await startRelayProcess(direct);
    children.push(relay);
    const pipe = await listening(
      spawn(process.execPath, ['-e', NODE_PIPE, direct], { stdio: ['ignore', 'pipe', 'inherit'] }),
    );
    children.push(pipe);
    // Warm every path (JIT, connections) before measuring.
    for (const url of [direct, relay.url, pipe.url]) {
      await measure(url, { chunks: 2000, rate: 0, includeUsage: true });
    }
    const runs: { name: string; run: Run }[] = [
      { name: `paced ${rate}/s`, run: { chunks, rate, includeUsage: true } },
      { name: 'unthrottled', run: { chunks: chunks * 4, rate: 0, includeUsage: true } },
      { name: 'unthrottled, usage chunk dropped', run: { chunks: chunks * 4, rate: 0, includeUsage: false } },
    ];
    const rows: string[][] = [];
    for (const { name, run } of runs) {
      const d = await measure(direct, run);
      const r = await measure(relay.url, run);
      const n = await measure(pipe.url, run);
      rows.push([name, 'direct', ...cells(d)]);
      rows.push([name, 'relay', ...cells(r)]);
      rows.push([name, 'node pipe (reference)', ...cells(n)]);
      rows.push([name, ...ratios('relay / direct', r, d)]);
      rows.push([name, ...ratios('node pipe / direct', n, d)]);
    }
    printTable(['run', 'path', 'p50 ms', 'p99 ms', 'chunks/s'], rows);
    console.log(
      `\n${chunks} chunks paced, ${chunks * 4} unthrottled; latency = arrival at the client - write at the source (one clock);` +
        `\nthe relay and the node pipe each run in their own process. The usage chunk is dropped only by the relay` +
        ` (the pipe passes it). Node ${process.version}.`,
    );
  } finally {
    for (const { child } of children) child.kill('SIGTERM');
    source.server.close();
    source.server.closeAllConnections();
  }
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells.map((cell, column) => cell.padEnd(widths[column] as number)).join('  ');
  console.log(line(header));
  console.log(line(widths.map((width) => '-'.repeat(width))));
  for (const row of rows) console.log(line(row).trimEnd());
}

await main();
