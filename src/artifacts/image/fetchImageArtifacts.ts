/**
 * `slm-copilot image fetch`: puts every artifact the image needs in the artifacts directory, verified against the
 * lock (from a local directory, a mirror or the publisher, through the downloader), and writes the list the build
 * VM fetches from Packer's HTTP server. Refuses everything at once, before any transfer, when something is
 * unpinned or has no source.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { formatBytes } from '../../core/lib/bytes.ts';
import { EXIT } from '../../core/lib/failure.ts';
import { ArtifactError } from '../download/errors.ts';
import { type FetchResult, fetchArtifact } from '../download/fetchArtifact.ts';
import { planDownloads } from '../download/plan.ts';
import { formatProgress } from '../download/progress.ts';
import { findArtifact } from '../lock/lock.ts';
import { readLockFile } from '../lock/lockFile.ts';
import { guestArtifactList, IMAGE_ARTIFACTS } from './imageArtifacts.ts';

export interface ImageFetchOptions {
  readonly lock: string;
  readonly dest: string;
  readonly localDir?: string;
  readonly mirror?: string;
  /** Where the build VM's list goes. */
  readonly guestList: string;
  readonly env: NodeJS.ProcessEnv;
  readonly say: (line: string) => void;
}

/** 0 when everything is in place and verified; 1 with every reason otherwise. */
export async function fetchImageArtifacts(
  options: ImageFetchOptions,
): Promise<{ code: number; problems: string[] }> {
  const read = readLockFile(options.lock);
  if (!read.ok) return { code: EXIT.failed, problems: [...read.problems] };
  const plan = planDownloads(read.lock, {
    dest: options.dest,
    only: IMAGE_ARTIFACTS,
    ...(options.localDir === undefined ? {} : { localDir: options.localDir }),
    ...(options.mirror === undefined ? {} : { mirror: options.mirror }),
  });
  // A file already in the destination is verified before any source is needed (the backend archive make lock made).
  const present = new Set(
    plan.downloads.filter((download) => existsSync(download.destination)).map((d) => d.name),
  );
  const problems = plan.problems.filter(
    (problem) => ![...present].some((name) => problem.startsWith(`"${name}" has no source`)),
  );
  if (problems.length > 0) return { code: EXIT.failed, problems };

  mkdirSync(options.dest, { recursive: true });
  const results: FetchResult[] = [];
  let last = 0;
  for (const download of plan.downloads) {
    const entry = findArtifact(read.lock, download.name);
    if (entry === undefined) continue;
    try {
      results.push(
        await fetchArtifact(entry, {
          dest: options.dest,
          env: options.env,
          ...(options.localDir === undefined ? {} : { localDir: options.localDir }),
          ...(options.mirror === undefined ? {} : { mirror: options.mirror }),
          onProgress: (progress) => {
            if (progress.phase !== 'downloading' || Date.now() - last > 5000) {
              last = Date.now();
              options.say(`fetch: ${formatProgress(progress)}`);
            }
          },
        }),
      );
    } catch (error) {
      if (error instanceof ArtifactError) return { code: EXIT.failed, problems: [error.message] };
      throw error;
    }
  }
  for (const result of results) {
    options.say(`fetch: ${result.name} ok (${formatBytes(result.size)}, ${result.source} ${result.from})`);
  }
  writeFileSync(options.guestList, guestArtifactList(read.lock.artifacts));
  options.say(`fetch: build VM list written to ${options.guestList}`);
  return { code: EXIT.ok, problems: [] };
}
