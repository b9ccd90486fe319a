/**
 * Reading a `docker save` archive (what `local-ai backends install ocifile://…` takes) with the tar CLI.
 *
 * The appliance never installs with this: LocalAI does its own extraction. It exists so the tests can prove the
 * archive format is understood end to end — manifest.json → config → layers verified against the config's
 * diff_ids → layers applied in order with whiteouts — on a tiny generated archive, and so the installer can look
 * inside an archive (`inspectDockerArchive`) before handing it to LocalAI.
 *
 * What it does: one image per archive (as LocalAI's reader with no tag demands), member paths confined to the
 * archive, config digest and layer diff_ids checked, layers plain or gzip (tar detects), `.wh.<name>` deletes
 * `<name>` from lower layers, `.wh..wh..opq` empties its directory of lower-layer content. What it does not do:
 * defend against a layer that plants a symlink and writes through it in a later layer (GNU tar follows existing
 * directory symlinks), device nodes, xattrs, ownership (files get the extracting user) — the real install is
 * LocalAI's, on archives from the pinned registry digest.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { run, succeeded } from '../../system/process.ts';

/** tar's standard output; throws `tar … failed: <why>`. */
const tarOutput = async (tar: string, args: readonly string[]) => succeeded(await run(tar, args));

export interface DockerArchiveImage {
  readonly repoTags: readonly string[];
  /** Path of the config inside the archive. */
  readonly config: string;
  /** Paths of the layers inside the archive, lowest first. */
  readonly layers: readonly string[];
}

export interface ExtractedImage extends DockerArchiveImage {
  readonly os: string | null;
  readonly architecture: string | null;
  readonly diffIds: readonly string[];
}

export interface ExtractOptions {
  readonly tar?: string;
  /** Refuse an image for another platform, e.g. "linux/amd64". */
  readonly platform?: string;
}

/** manifest.json of an archive, without extracting the rest (tar still reads through the whole file). */
export async function inspectDockerArchive(archive: string, tar = 'tar'): Promise<DockerArchiveImage> {
  const stdout = await tarOutput(tar, ['-xOf', archive, 'manifest.json']).catch((error: Error) => {
    throw new Error(
      `${archive} has no readable manifest.json: is it a docker-save archive? (${error.message.trim()})`,
    );
  });
  const parsed = parseManifest(stdout, archive);
  if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
  return parsed.image;
}

/**
 * Extracts the image's file system into `target` (replacing it only once everything was applied), after checking
 * the archive; throws with every problem found.
 */
export async function extractDockerArchive(
  archive: string,
  target: string,
  options: ExtractOptions = {},
): Promise<ExtractedImage> {
  const tar = options.tar ?? 'tar';
  const parent = posix.dirname(target);
  mkdirSync(parent, { recursive: true });
  const work = mkdtempSync(posix.join(parent, '.docker-archive-'));
  const staging = `${target}.install-tmp`;
  try {
    await tarOutput(tar, ['-xf', archive, '-C', work, '--no-same-owner']);
    const parsed = parseManifest(readIfExists(posix.join(work, 'manifest.json')), archive);
    if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
    const image = parsed.image;
    const problems: string[] = [];

    const configPath = posix.join(work, image.config);
    const configText = readIfExists(configPath);
    const config = parseConfig(configText, `${archive}: ${image.config}`);
    if (!config.ok) throw new Error(config.problems.join('\n'));
    const named = /([0-9a-f]{64})(?:\.json)?$/.exec(image.config)?.[1];
    if (named !== undefined) {
      const actual = createHash('sha256').update(configText).digest('hex');
      if (actual !== named)
        problems.push(
          `${archive}: config ${image.config} has sha256 ${actual}, not the ${named} it is named by`,
        );
    }
    if (options.platform !== undefined && `${config.os}/${config.architecture}` !== options.platform) {
      problems.push(
        `${archive} is an image for ${config.os}/${config.architecture}, not ${options.platform}`,
      );
    }
    if (config.diffIds.length !== image.layers.length) {
      problems.push(
        `${archive}: manifest lists ${image.layers.length} layers but the config's rootfs has ${config.diffIds.length} diff_ids`,
      );
    }
    for (const [index, layer] of image.layers.entries()) {
      const path = posix.join(work, layer);
      if (!existsSync(path)) {
        problems.push(`${archive}: layer ${layer} is listed but not in the archive`);
        continue;
      }
      const diffId = `sha256:${await uncompressedSha256(path)}`;
      if (config.diffIds[index] !== undefined && config.diffIds[index] !== diffId) {
        problems.push(
          `${archive}: layer ${index + 1} (${layer}) is ${diffId}, the config says ${config.diffIds[index]}`,
        );
      }
    }
    if (problems.length > 0) throw new Error(problems.join('\n'));

    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    for (const layer of image.layers)
      await applyLayer(tar, posix.join(work, layer), staging, `${archive}: ${layer}`);
    swapIntoPlace(staging, target);
    return { ...image, os: config.os, architecture: config.architecture, diffIds: config.diffIds };
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Applies one layer on top of `root`: whiteouts first (they hide lower content), then the layer's files. */
async function applyLayer(tar: string, layer: string, root: string, origin: string): Promise<void> {
  const stdout = await tarOutput(tar, ['-tf', layer]);
  const members = stdout.split('\n').filter((line) => line !== '');
  const unsafe = members.filter((member) => safeRelative(member) === null);
  if (unsafe.length > 0)
    throw new Error(`${origin} has members outside the image root: ${unsafe.slice(0, 5).join(', ')}`);
  for (const member of members) {
    const path = safeRelative(member) as string;
    const base = posix.basename(path);
    if (!base.startsWith('.wh.')) continue;
    const directory = posix.join(root, posix.dirname(path));
    if (base === '.wh..wh..opq') {
      if (existsSync(directory)) {
        for (const child of readdirSync(directory))
          rmSync(posix.join(directory, child), { recursive: true, force: true });
      }
    } else {
      rmSync(posix.join(directory, base.slice('.wh.'.length)), { recursive: true, force: true });
    }
  }
  // Whiteout markers are instructions, not files; modes are kept (run.sh must stay executable).
  await tarOutput(tar, [
    '-xf',
    layer,
    '-C',
    root,
    '--preserve-permissions',
    '--no-same-owner',
    '--exclude=.wh.*',
  ]);
}

function swapIntoPlace(staging: string, target: string): void {
  const backup = `${target}.install-backup`;
  rmSync(backup, { recursive: true, force: true });
  if (existsSync(target)) renameSync(target, backup);
  renameSync(staging, target);
  rmSync(backup, { recursive: true, force: true });
}

/** The path relative to the image root, or null when it would leave it (absolute, or with ".."). */
function safeRelative(member: string): string | null {
  const trimmed = member.replace(/^(\.\/)+/, '');
  if (trimmed === '' || trimmed === '.' || trimmed === './') return '.';
  if (trimmed.startsWith('/')) return null;
  if (trimmed.split('/').includes('..')) return null;
  return trimmed.replace(/\/+$/, '');
}

type Parsed<T> = ({ ok: true } & T) | { ok: false; problems: string[] };

function parseManifest(text: string, archive: string): Parsed<{ image: DockerArchiveImage }> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return {
      ok: false,
      problems: [`${archive}: manifest.json is missing or not JSON; not a docker-save archive`],
    };
  }
  if (!Array.isArray(value) || value.length !== 1) {
    const count = Array.isArray(value) ? value.length : 'no';
    return {
      ok: false,
      problems: [
        `${archive}: manifest.json must describe exactly one image (LocalAI reads archives without a tag), found ${count}`,
      ],
    };
  }
  const entry = value[0] as Record<string, unknown>;
  const problems: string[] = [];
  const config = typeof entry.Config === 'string' ? safeRelative(entry.Config) : null;
  if (config === null || config === '.')
    problems.push(`${archive}: manifest.json Config must be a path inside the archive`);
  const layers = Array.isArray(entry.Layers) ? entry.Layers : null;
  if (layers === null || layers.length === 0) problems.push(`${archive}: manifest.json lists no Layers`);
  const safeLayers = (layers ?? []).map((layer) => (typeof layer === 'string' ? safeRelative(layer) : null));
  if (safeLayers.some((layer) => layer === null || layer === '.'))
    problems.push(`${archive}: a layer path leaves the archive`);
  const repoTags = Array.isArray(entry.RepoTags)
    ? entry.RepoTags.filter((tag): tag is string => typeof tag === 'string')
    : [];
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, image: { repoTags, config: config as string, layers: safeLayers as string[] } };
}

function parseConfig(
  text: string,
  origin: string,
): Parsed<{ os: string | null; architecture: string | null; diffIds: string[] }> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, problems: [`${origin} is missing or not JSON`] };
  }
  const config = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const rootfs = (typeof config.rootfs === 'object' && config.rootfs !== null ? config.rootfs : {}) as Record<
    string,
    unknown
  >;
  const diffIds = Array.isArray(rootfs.diff_ids) ? rootfs.diff_ids : null;
  if (
    diffIds === null ||
    !diffIds.every((id) => typeof id === 'string' && /^sha256:[0-9a-f]{64}$/.test(id))
  ) {
    return { ok: false, problems: [`${origin}: rootfs.diff_ids must list the layers' sha256 digests`] };
  }
  return {
    ok: true,
    os: typeof config.os === 'string' ? config.os : null,
    architecture: typeof config.architecture === 'string' ? config.architecture : null,
    diffIds: diffIds as string[],
  };
}

/** A layer's diff_id is the sha256 of the uncompressed tar, whether the archive stores it gzipped or not. */
async function uncompressedSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  const sink = async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) hash.update(chunk);
  };
  if (isGzip(path)) await pipeline(createReadStream(path), createGunzip(), sink);
  else await pipeline(createReadStream(path), sink);
  return hash.digest('hex');
}

function isGzip(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const magic = Buffer.alloc(2);
    return readSync(fd, magic, 0, 2, 0) === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

function readIfExists(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
