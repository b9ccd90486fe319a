/** What `make lock` observes of a downloaded file, and the image archive it makes for a registry image. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { run, succeeded } from '../../system/process.ts';
import { parseTarCommitId, type Stated } from '../publishers/parse.ts';

export interface Observation {
  readonly sha256: string;
  readonly size: number;
  /** npm's form: `sha512-<base64>`. */
  readonly integrity: string;
}

/** sha256, sha512 and size in one pass (a 14 GB model is read once). */
export async function observeFile(path: string, onProgress?: (bytes: number) => void): Promise<Observation> {
  const sha256 = createHash('sha256');
  const sha512 = createHash('sha512');
  let size = 0;
  let reported = Date.now();
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    sha256.update(chunk);
    sha512.update(chunk);
    size += chunk.length;
    if (onProgress !== undefined && Date.now() - reported > 5000) {
      reported = Date.now();
      onProgress(size);
    }
  }
  return { sha256: sha256.digest('hex'), size, integrity: `sha512-${sha512.digest('base64')}` };
}

/** The commit a gzip-compressed `git archive` tarball names (its first KiB, uncompressed). */
export function archiveCommit(path: string): Promise<Stated<string>> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let length = 0;
    let done = false;
    const input = createReadStream(path);
    const gunzip = createGunzip();
    const finish = (result: Stated<string>) => {
      if (done) return;
      done = true;
      input.destroy();
      gunzip.destroy();
      resolve(result);
    };
    gunzip.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      length += chunk.length;
      if (length >= 1024) finish(parseTarCommitId(Buffer.concat(chunks), path));
    });
    gunzip.on('end', () => finish(parseTarCommitId(Buffer.concat(chunks), path)));
    gunzip.on('error', (error) =>
      finish({ ok: false, problem: `${path} is not a gzip archive: ${error.message}` }),
    );
    input.on('error', (error) => finish({ ok: false, problem: `cannot read ${path}: ${error.message}` }));
    input.pipe(gunzip);
  });
}

export interface ArchiveRequest {
  readonly image: string;
  readonly tag: string;
  readonly digest: string;
  readonly platform: string;
  /** Where the archive goes (a `.part` file, renamed by the caller once observed). */
  readonly dest: string;
}

/** Makes a `docker save` archive of an image digest; rejects with what went wrong and the fix. */
export type Archiver = (request: ArchiveRequest) => Promise<void>;

/** The command skopeo runs for an archive (also what the docs and the downloader's hint show). */
export function skopeoArguments(request: ArchiveRequest): string[] {
  const [os = 'linux', arch = 'amd64', variant] = request.platform.split('/');
  return [
    'copy',
    '--override-os',
    os,
    '--override-arch',
    arch,
    ...(variant === undefined ? [] : ['--override-variant', variant]),
    `docker://${request.image}@${request.digest}`,
    `docker-archive:${request.dest}:${request.image}:${request.tag}`,
  ];
}

export function skopeoArchiver(env: NodeJS.ProcessEnv, skopeo = 'skopeo'): Archiver {
  return async (request) => {
    const ran = await run(skopeo, skopeoArguments(request), { env, stdout: 'inherit', stderr: 'inherit' });
    if (ran.interrupted === 'not-found') {
      throw new Error(
        `skopeo is needed to make the image archive of ${request.image} and was not found. Fix: apt-get install -y skopeo`,
      );
    }
    succeeded(ran);
  };
}
