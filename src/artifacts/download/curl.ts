/**
 * The one curl wrapper of the program: downloads for the installer, the image build and `make lock`, and the
 * small documents `make lock` reads (checksum files, API answers) through the same runner.
 *
 * A download is one curl transfer into a `.part` file. curl does the HTTP work the VM needs without a Node HTTP client: resume
 * (`-C -` sends `Range: bytes=<part size>-`), its own retries for transient failures, `--fail` on HTTP errors, and
 * the proxy variables (http_proxy, https_proxy, all_proxy, no_proxy — lowercase http_proxy only: curl ignores
 * HTTP_PROXY by design). Its progress meter is off; callers watch the part file grow instead.
 *
 * A trap: when curl's own `--retry` repeats a transfer that already wrote data, it truncates the output back to where
 * that run started ("Throwing away N bytes"), `-C -` or not. curl only does that for errors it retries mid-body,
 * which here means timeouts, so no option below makes curl time out once data flows (no --max-time, no
 * --speed-limit). Stalls are detected by the caller watching the part file, which ends curl with a signal: the
 * bytes stay, and the next run resumes from them. Broken transfers (exit 18, 56, …) are not retried by curl at all;
 * the caller resumes them.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, succeeded } from '../../system/process.ts';
import { ArtifactError } from './errors.ts';

/** Arguments for downloading `url` into `part`, resuming whatever the part already holds. */
export function curlArguments(url: string, part: string): string[] {
  return [
    '--fail',
    '--location',
    '--silent',
    '--show-error',
    // curl's own retries: timeouts, HTTP 408/429/5xx and (with --retry-connrefused) a refused connection.
    '--retry',
    '5',
    '--retry-delay',
    '2',
    '--retry-connrefused',
    '--connect-timeout',
    '30',
    '--proto',
    '=http,https',
    '--continue-at',
    '-',
    '--output',
    part,
    '--',
    url,
  ];
}

export interface CurlOutcome {
  readonly code: number;
  /** What curl wrote to stdout, when asked for (captureStdout); '' otherwise. */
  readonly stdout: string;
  /** curl's last error lines (its progress meter is off, so stderr holds only errors). */
  readonly stderr: string;
}

export type CurlVerdict =
  /** The transfer completed. */
  | 'done'
  /** Interrupted mid-way (cut connection, stall, receive error): resume with the same source. */
  | 'resume'
  /** The server cannot resume (no Range support): start again from zero. */
  | 'restart'
  /** Not worth repeating with this source (HTTP error, unresolvable host, refused after curl's retries, …). */
  | 'next-source';

/** curl exit codes (man curl, "EXIT CODES") that mean "the transfer broke; what arrived is good to resume from". */
const RESUMABLE = new Set([
  16, // HTTP/2 framing layer problem
  18, // partial file: the connection ended before Content-Length bytes
  28, // operation timeout (a connect timeout after curl's retries, or the caller's stall watchdog)
  52, // empty reply from server
  55, // failed sending network data
  56, // failure receiving network data (connection reset)
  92, // HTTP/2 stream error
]);

export function curlVerdict(code: number): CurlVerdict {
  if (code === 0) return 'done';
  if (code === 33) return 'restart'; // "HTTP server doesn't seem to support byte ranges. Cannot resume."
  if (RESUMABLE.has(code)) return 'resume';
  return 'next-source';
}

export interface RunCurlOptions {
  readonly curl: string;
  readonly env: NodeJS.ProcessEnv;
  /** Ends curl (SIGTERM); the outcome then says so with code 28, as a stalled transfer. */
  readonly signal?: AbortSignal;
  readonly captureStdout?: boolean;
  /** The error when curl is not installed (default: the downloader's ArtifactError). */
  readonly missingCurl?: (curl: string) => Error;
}

export async function runCurl(args: readonly string[], options: RunCurlOptions): Promise<CurlOutcome> {
  const ran = await run(options.curl, args, {
    env: options.env,
    stdout: options.captureStdout === true ? 'capture' : 'ignore',
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  if (ran.interrupted === 'not-found') {
    throw (
      options.missingCurl?.(options.curl) ??
      new ArtifactError(
        'curl-missing',
        {
          reason: `curl is needed to download artifacts and "${options.curl}" was not found.`,
          fix: 'apt-get install -y curl',
        },
        [],
      )
    );
  }
  if (ran.interrupted === 'aborted') {
    return { code: 28, stdout: ran.stdout, stderr: `${String(options.signal?.reason ?? 'stopped')}` };
  }
  // Any other way of not running to its end: `curl … failed: <why>`.
  if (ran.interrupted !== null) succeeded(ran);
  return {
    code: ran.status ?? 128,
    stdout: ran.stdout,
    stderr: ran.signal === null ? ran.stderr.trim() : `${ran.stderr.trim()} (killed by ${ran.signal})`.trim(),
  };
}

// Documents and downloads for `make lock` (src/artifacts/refresh): proxy variables honoured, redirects followed,
// transient errors retried, failures reported in one line. Documents are small and read into memory; artifacts go
// to a file, resuming.

/** A document request that got no HTTP answer at all (DNS, refused or timed-out connection, TLS): the host is unreachable. */
export class UnreachableError extends Error {
  override readonly name = 'UnreachableError';
}

export interface HttpResponse {
  readonly status: number;
  /** Header names in lower case, from the last response (after redirects). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface HttpOptions {
  /** curl's environment, proxy variables included. */
  readonly env: NodeJS.ProcessEnv;
  readonly curl?: string;
  /** Tests map the publishers' https addresses onto loopback servers; the identity otherwise. */
  readonly rewrite?: (url: string) => string;
}

export interface Http {
  /** GET (or HEAD) a document. A transport failure (no route, DNS, TLS) rejects with curl's message. */
  request(
    url: string,
    init?: { readonly method?: 'GET' | 'HEAD'; readonly headers?: Readonly<Record<string, string>> },
  ): Promise<HttpResponse>;
  /** Downloads `url` into `part`, resuming interrupted transfers; rejects when it cannot complete. */
  download(url: string, part: string, onProgress?: (bytes: number) => void): Promise<void>;
  /** The address actually contacted (after the test rewrite), for messages. */
  describe(url: string): string;
  /**
   * One quick attempt, no retries: null when the host answered anything over HTTP, else why not. Lets `make
   * image` tell in seconds that no publisher can be reached (air-gapped), where a refresh retries each one.
   */
  probe(url: string): Promise<string | null>;
}

export function curlHttp(options: HttpOptions): Http {
  const rewrite = options.rewrite ?? ((url: string) => url);
  const curl = options.curl ?? 'curl';
  return {
    describe: (url) => (rewrite(url) === url ? url : `${url} (→ ${rewrite(url)})`),
    request: (url, init = {}) => requestDocument(curl, options.env, rewrite(url), init),
    download: (url, part, onProgress) => downloadFile(curl, options.env, rewrite(url), part, onProgress),
    probe: async (url) => {
      const args = [
        '--silent',
        '--show-error',
        '--head',
        '--proto',
        '=http,https',
        '--connect-timeout',
        '10',
      ];
      args.push('--max-time', '20', '--output', '/dev/null', '--', rewrite(url));
      const { code, stderr } = await runCurl(args, { curl, env: options.env });
      return code === 0 ? null : lastLine(stderr) || `curl exited with ${code}`;
    },
  };
}

async function requestDocument(
  curl: string,
  env: NodeJS.ProcessEnv,
  url: string,
  init: { readonly method?: 'GET' | 'HEAD'; readonly headers?: Readonly<Record<string, string>> },
): Promise<HttpResponse> {
  const dir = mkdtempSync(join(tmpdir(), 'slm-lock-http-'));
  try {
    const headerFile = join(dir, 'headers');
    const bodyFile = join(dir, 'body');
    const args = [
      '--silent',
      '--show-error',
      '--location',
      '--proto',
      '=http,https',
      '--connect-timeout',
      '20',
      '--max-time',
      '300',
      '--retry',
      '3',
      '--retry-delay',
      '2',
      '--dump-header',
      headerFile,
      '--output',
      bodyFile,
      '--write-out',
      '%{http_code}',
      ...(init.method === 'HEAD' ? ['--head'] : []),
      ...Object.entries(init.headers ?? {}).flatMap(([name, value]) => ['--header', `${name}: ${value}`]),
      '--',
      url,
    ];
    const { code, stdout, stderr } = await runCurl(args, {
      curl,
      env,
      captureStdout: true,
      missingCurl: (command) =>
        new Error(`"${command}" was not found; make lock needs curl. Fix: apt-get install -y curl`),
    });
    if (code !== 0)
      throw new UnreachableError(`cannot fetch ${url}: ${lastLine(stderr) || `curl exited with ${code}`}`);
    const headers = lastHeaderBlock(readOrEmpty(headerFile));
    return { status: Number(stdout.trim()), headers, body: readOrEmpty(bodyFile) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The header fields of the last response in a `--dump-header` file (one block per redirect hop). */
export function lastHeaderBlock(text: string): Record<string, string> {
  const blocks = text.split(/\r?\n\r?\n/).filter((block) => /^HTTP\//.test(block.trim()));
  const last = blocks.at(-1) ?? '';
  const headers: Record<string, string> = {};
  for (const line of last.split(/\r?\n/).slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

const MAX_ATTEMPTS_WITHOUT_PROGRESS = 3;

async function downloadFile(
  curl: string,
  env: NodeJS.ProcessEnv,
  url: string,
  part: string,
  onProgress?: (bytes: number) => void,
): Promise<void> {
  let withoutProgress = 0;
  for (;;) {
    const before = sizeOf(part);
    const timer = setInterval(() => onProgress?.(sizeOf(part)), 2000);
    let outcome: Awaited<ReturnType<typeof runCurl>>;
    try {
      outcome = await runCurl(curlArguments(url, part), { curl, env });
    } finally {
      clearInterval(timer);
    }
    onProgress?.(sizeOf(part));
    const verdict = curlVerdict(outcome.code);
    if (verdict === 'done') return;
    const reason = lastLine(outcome.stderr) || `curl exited with ${outcome.code}`;
    if (verdict === 'next-source') throw new Error(`cannot download ${url}: ${reason}`);
    if (verdict === 'restart') rmSync(part, { force: true });
    withoutProgress = sizeOf(part) > before ? 0 : withoutProgress + 1;
    if (withoutProgress >= MAX_ATTEMPTS_WITHOUT_PROGRESS) {
      throw new Error(`cannot download ${url}: ${reason} (${withoutProgress} attempts without progress)`);
    }
  }
}

/** curl repeats its error once per retry: the last line says it. */
function lastLine(text: string): string {
  return text.trim().split('\n').at(-1)?.trim() ?? '';
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
