/**
 * The artifact lock: every file the image needs, pinned by URL and sha256 (artifacts.lock.json at the repository
 * root). Pins come only from the publishers' own checksum sources (`make lock`); an entry whose sha256 is not known
 * yet says so (`sha256: null`, `pinned: false`) and the downloader refuses it.
 */

export const LOCK_FILE_NAME = 'artifacts.lock.json';
export const LOCK_VERSION = 1;

/** Where `make lock` takes an artifact's pin from. `url` is always the publisher's own document. */
export type ChecksumSource =
  | {
      /** A `sha256sum`-format list published next to the file (LocalAI's checksums.txt, Ubuntu's SHA256SUMS). */
      readonly kind: 'sha256sums-file';
      readonly url: string;
      /** The file's name as listed in that document. */
      readonly file: string;
    }
  | {
      /** Hugging Face's LFS metadata (tree API): `lfs.oid` is the sha256 of the file, `lfs.size` its size. */
      readonly kind: 'huggingface-lfs';
      readonly url: string;
      readonly repo: string;
      /** A branch until pinned; a pinned entry names the commit (a branch moves under the pin). */
      readonly revision: string;
      readonly path: string;
    }
  | {
      /** The npm registry's version document: `dist.integrity` (sha512) of the tarball. */
      readonly kind: 'npm-integrity';
      readonly url: string;
      readonly package: string;
      readonly integrity: string | null;
    }
  | {
      /**
       * An OCI image pinned by the registry's manifest digest. The artifact is an image *archive* (`docker save`
       * format) made from that digest by `make lock`; its own sha256 is the entry's sha256.
       */
      readonly kind: 'oci-digest';
      readonly url: string;
      readonly image: string;
      readonly tag: string;
      readonly digest: string | null;
      readonly platform: string;
    }
  | {
      /**
       * A GitHub release asset: the release API (`/repos/<repo>/releases/tags/<tag>`) states each asset's sha256
       * (`assets[].digest`) and size; the artifact is `https://github.com/<repo>/releases/download/<tag>/<asset>`.
       */
      readonly kind: 'github-release-asset';
      readonly url: string;
      readonly repo: string;
      readonly tag: string;
      readonly asset: string;
    }
  | {
      /**
       * GitHub's source archive of a tag. GitHub publishes no checksum for it; what it states is the commit the tag
       * points to (`/repos/<repo>/commits/<ref>` → `sha`), and the archive names the commit it was made from (git
       * archive's pax header). `make lock` checks the two agree and pins the archive's sha256; a tag that moves
       * changes the commit, which `make lock` refuses until told otherwise.
       */
      readonly kind: 'github-archive';
      readonly url: string;
      readonly repo: string;
      readonly ref: string;
      readonly commit: string | null;
    };

export type ChecksumSourceKind = ChecksumSource['kind'];
export const CHECKSUM_SOURCE_KINDS: readonly ChecksumSourceKind[] = [
  'sha256sums-file',
  'huggingface-lfs',
  'npm-integrity',
  'oci-digest',
  'github-release-asset',
  'github-archive',
];

export interface ArtifactEntry {
  /** Stable key used by the installer (`node-runtime`, `localai`, …). */
  readonly name: string;
  readonly version: string;
  /** File name in the destination, in a local directory and under a mirror base URL. */
  readonly file: string;
  /** The publisher's download URL; null when the publisher has no single file (an image archive). */
  readonly url: string | null;
  readonly sha256: string | null;
  /** Bytes, when known. */
  readonly size: number | null;
  /** True exactly when sha256 is set: the downloader refuses anything else. */
  readonly pinned: boolean;
  readonly source: ChecksumSource;
  readonly note?: string;
}

export interface ArtifactLock {
  readonly lockVersion: typeof LOCK_VERSION;
  readonly comment?: string;
  readonly artifacts: readonly ArtifactEntry[];
}

/** A pinned entry: what the downloader accepts. */
export type PinnedEntry = ArtifactEntry & { readonly sha256: string; readonly pinned: true };

export function isPinned(entry: ArtifactEntry): entry is PinnedEntry {
  return entry.pinned && entry.sha256 !== null;
}

export function findArtifact(lock: ArtifactLock, name: string): ArtifactEntry | undefined {
  return lock.artifacts.find((entry) => entry.name === name);
}

/** The lock as `make lock` writes it: fixed key order, two-space indent, trailing newline (stable diffs). */
export function serializeLock(lock: ArtifactLock): string {
  const ordered = {
    lockVersion: lock.lockVersion,
    ...(lock.comment === undefined ? {} : { comment: lock.comment }),
    artifacts: lock.artifacts.map(orderedEntry),
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

function orderedEntry(entry: ArtifactEntry): Record<string, unknown> {
  return {
    name: entry.name,
    version: entry.version,
    file: entry.file,
    url: entry.url,
    sha256: entry.sha256,
    size: entry.size,
    pinned: entry.pinned,
    source: orderedSource(entry.source),
    ...(entry.note === undefined ? {} : { note: entry.note }),
  };
}

function orderedSource(source: ChecksumSource): Record<string, unknown> {
  switch (source.kind) {
    case 'sha256sums-file':
      return { kind: source.kind, url: source.url, file: source.file };
    case 'huggingface-lfs':
      return {
        kind: source.kind,
        url: source.url,
        repo: source.repo,
        revision: source.revision,
        path: source.path,
      };
    case 'npm-integrity':
      return { kind: source.kind, url: source.url, package: source.package, integrity: source.integrity };
    case 'oci-digest':
      return {
        kind: source.kind,
        url: source.url,
        image: source.image,
        tag: source.tag,
        digest: source.digest,
        platform: source.platform,
      };
    case 'github-release-asset':
      return { kind: source.kind, url: source.url, repo: source.repo, tag: source.tag, asset: source.asset };
    case 'github-archive':
      return {
        kind: source.kind,
        url: source.url,
        repo: source.repo,
        ref: source.ref,
        commit: source.commit,
      };
  }
}
