/**
 * The network side of `make lock`, through curl as the downloader does: it honours the proxy variables
 * (https_proxy, http_proxy, no_proxy), follows redirects, retries transient errors and reports failures in one line.
 * Documents (checksum files, API answers) are small and read into memory; artifacts go to a file, resuming.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { curlArguments, curlVerdict, runCurl } from './curl.ts';

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
}

export function curlHttp(options: HttpOptions): Http {
  const rewrite = options.rewrite ?? ((url: string) => url);
  const curl = options.curl ?? 'curl';
  return {
    describe: (url) => (rewrite(url) === url ? url : `${url} (→ ${rewrite(url)})`),
    request: (url, init = {}) => requestDocument(curl, options.env, rewrite(url), init),
    download: (url, part, onProgress) => downloadFile(curl, options.env, rewrite(url), part, onProgress),
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
    const { code, stdout, stderr } = await run(curl, args, env);
    if (code !== 0) throw new Error(`cannot fetch ${url}: ${lastLine(stderr) || `curl exited with ${code}`}`);
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

function run(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4096);
    });
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'ENOENT'
          ? new Error(`"${command}" was not found; make lock needs curl. Fix: apt-get install -y curl`)
          : error,
      ),
    );
    child.once('close', (code) => resolve({ code: code ?? 128, stdout, stderr }));
  });
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
