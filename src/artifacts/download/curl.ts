/**
 * One curl transfer into a `.part` file. curl does the HTTP work the VM needs without a Node HTTP client: resume
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
import { spawn } from 'node:child_process';
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
}

export function runCurl(args: readonly string[], options: RunCurlOptions): Promise<CurlOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(options.curl, args, {
      env: options.env,
      stdio: ['ignore', 'ignore', 'pipe'],
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4096);
    });
    child.once('error', (error: NodeJS.ErrnoException) => {
      if (error.name === 'AbortError') return; // 'close' follows with the signal
      if (error.code === 'ENOENT') {
        reject(
          new ArtifactError(
            'curl-missing',
            `curl is needed to download artifacts and "${options.curl}" was not found. Fix: apt-get install -y curl`,
            [],
          ),
        );
      } else reject(error);
    });
    child.once('close', (code, signal) => {
      if (options.signal?.aborted) {
        resolve({ code: 28, stderr: `${String(options.signal.reason ?? 'stopped')}` });
      } else {
        resolve({
          code: code ?? 128,
          stderr: signal === null ? stderr.trim() : `${stderr.trim()} (killed by ${signal})`.trim(),
        });
      }
    });
  });
}
