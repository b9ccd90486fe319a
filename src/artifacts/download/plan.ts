/**
 * What would come from where, without touching anything: for each artifact the destination and the sources in the
 * order they are tried (a local file, then a mirror, then the publisher), each checked against the same sha256.
 */
import { posix } from 'node:path';
import { type ArtifactEntry, type ArtifactLock, isPinned } from '../lock/lock.ts';

export type SourceKind = 'local' | 'mirror' | 'publisher';

export type Source =
  | { readonly kind: 'local'; readonly path: string }
  | { readonly kind: 'mirror'; readonly url: string }
  | { readonly kind: 'publisher'; readonly url: string };

export interface SourceOptions {
  /** A directory holding artifacts under their lock file names (air-gapped builds). */
  readonly localDir?: string;
  /** A base URL serving artifacts under their lock file names: `<mirror>/<file>`. */
  readonly mirror?: string;
}

export interface PlanOptions extends SourceOptions {
  /** Destination directory. */
  readonly dest: string;
  /** Only these artifacts (by name); all when absent. */
  readonly only?: readonly string[];
}

export interface PlannedDownload {
  readonly name: string;
  readonly file: string;
  readonly destination: string;
  readonly sha256: string | null;
  readonly size: number | null;
  readonly sources: readonly Source[];
  /** Why this artifact would be refused (unpinned, no source); empty when it can be fetched. */
  readonly problems: readonly string[];
}

export interface DownloadPlan {
  readonly downloads: readonly PlannedDownload[];
  /** Every problem of the plan: bad options, unknown names, and each download's problems. */
  readonly problems: readonly string[];
}

export function planDownloads(lock: ArtifactLock, options: PlanOptions): DownloadPlan {
  const problems = sourceOptionProblems(options);
  const known = new Set(lock.artifacts.map((entry) => entry.name));
  for (const name of options.only ?? []) {
    if (!known.has(name)) problems.push(`"${name}" is not in the lock file; known: ${[...known].join(', ')}`);
  }
  const selected = lock.artifacts.filter(
    (entry) => options.only === undefined || options.only.includes(entry.name),
  );
  // A refused mirror or directory is reported above and left out of the sources.
  const usable: SourceOptions = {
    ...(options.localDir?.startsWith('/') ? { localDir: options.localDir } : {}),
    ...(options.mirror !== undefined && sourceOptionProblems({ mirror: options.mirror }).length === 0
      ? { mirror: options.mirror }
      : {}),
  };
  const downloads = selected.map((entry): PlannedDownload => {
    const sources = sourcesFor(entry, usable);
    const own: string[] = [];
    if (!isPinned(entry))
      own.push(`"${entry.name}" is not pinned (sha256 is null): run \`make lock\` on a connected machine`);
    if (sources.length === 0) own.push(`"${entry.name}" has no source: ${noSourceHint(entry)}`);
    return {
      name: entry.name,
      file: entry.file,
      destination: posix.join(options.dest, entry.file),
      sha256: entry.sha256,
      size: entry.size,
      sources,
      problems: own,
    };
  });
  return { downloads, problems: [...problems, ...downloads.flatMap((download) => download.problems)] };
}

/** The sources of one artifact, in the order they are tried. */
export function sourcesFor(entry: ArtifactEntry, options: SourceOptions): Source[] {
  const sources: Source[] = [];
  if (options.localDir !== undefined)
    sources.push({ kind: 'local', path: posix.join(options.localDir, entry.file) });
  if (options.mirror !== undefined)
    sources.push({ kind: 'mirror', url: mirrorUrl(options.mirror, entry.file) });
  if (entry.url !== null) sources.push({ kind: 'publisher', url: entry.url });
  return sources;
}

/** `<mirror>/<file>`, whether or not the base ends with "/". */
export function mirrorUrl(base: string, file: string): string {
  const withSlash = base.endsWith('/') ? base : `${base}/`;
  return new URL(encodeURIComponent(file), withSlash).href;
}

export function sourceOptionProblems(options: SourceOptions): string[] {
  const problems: string[] = [];
  if (options.mirror !== undefined) {
    let url: URL | null = null;
    try {
      url = new URL(options.mirror);
    } catch {
      problems.push(
        `mirror must be an http(s) base URL such as http://10.0.0.5:8000/artifacts, got "${options.mirror}"`,
      );
    }
    if (url !== null && url.protocol !== 'http:' && url.protocol !== 'https:') {
      problems.push(`mirror must use http or https, got "${options.mirror}"`);
    } else if (url !== null && (url.search !== '' || url.hash !== '')) {
      problems.push(
        `mirror must be a base URL without query or fragment (files are appended), got "${options.mirror}"`,
      );
    }
  }
  if (options.localDir !== undefined && !options.localDir.startsWith('/')) {
    problems.push(`the local directory must be an absolute path, got "${options.localDir}"`);
  }
  return problems;
}

/** What to do for an artifact that no source can provide (an image archive without a mirror or local copy). */
export function noSourceHint(entry: ArtifactEntry): string {
  if (entry.source.kind === 'oci-digest') {
    const reference = `${entry.source.image}@${entry.source.digest ?? '<digest from make lock>'}`;
    const [os, arch] = entry.source.platform.split('/');
    return (
      `it is an image archive made from ${reference}. Create it where the registry is reachable (this is what ` +
      `\`make lock\` does): skopeo copy --override-os ${os} --override-arch ${arch} docker://${reference} ` +
      `docker-archive:DIR/${entry.file}:${entry.source.image}:${entry.source.tag} — then pass --local-dir DIR or a mirror serving it.`
    );
  }
  return 'give a local directory (--local-dir) or a mirror (--mirror) that holds it.';
}
