/**
 * Builds tiny `docker save` archives for the tests: manifest.json, a config named by its sha256 with the layers'
 * diff_ids, and one directory per layer holding layer.tar — the layout `docker save` (and skopeo's docker-archive)
 * writes and LocalAI's `ocifile://` reader takes.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { sha256 } from './loopback.ts';

export interface LayerFile {
  readonly content?: string;
  readonly mode?: number;
  readonly directory?: boolean;
}

/** Path inside the image → file; whiteouts are just files named `.wh.<name>` or `.wh..wh..opq`. */
export type LayerSpec = Readonly<Record<string, LayerFile>>;

export interface ArchiveOptions {
  readonly repoTag?: string;
  readonly os?: string;
  readonly architecture?: string;
  /** Store layers gzip-compressed (diff_ids stay the uncompressed digests). */
  readonly gzip?: boolean;
  /** Put a wrong diff_id in the config for this layer index. */
  readonly wrongDiffId?: number;
  /** Describe the image this many times in manifest.json. */
  readonly images?: number;
  /** Extra tar arguments for the layers (e.g. -P to keep "../" members). */
  readonly layerTarArgs?: readonly string[];
}

export const BACKEND_TAG = 'quay.io/go-skynet/local-ai-backends:v4.9.0-cpu-llama-cpp';

export function buildDockerArchive(
  dir: string,
  name: string,
  layers: readonly LayerSpec[],
  options: ArchiveOptions = {},
): string {
  const image = mkdtempSync(join(dir, 'image-'));
  const layerPaths: string[] = [];
  const diffIds: string[] = [];
  for (const [index, spec] of layers.entries()) {
    const root = mkdtempSync(join(dir, 'layer-'));
    for (const [path, file] of Object.entries(spec)) {
      const target = join(root, path);
      if (file.directory) {
        mkdirSync(target, { recursive: true });
        continue;
      }
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, file.content ?? '');
      chmodSync(target, file.mode ?? 0o644);
    }
    const plain = join(dir, `layer-${index}.tar`);
    const members = readdirSync(root).sort();
    execFileSync('tar', [
      '-cf',
      plain,
      '--sort=name',
      '--owner=0',
      '--group=0',
      '--numeric-owner',
      '--mtime=@0',
      ...(options.layerTarArgs ?? []),
      '-C',
      root,
      ...members,
    ]);
    const data = readFileSync(plain);
    const diffId = sha256(data);
    diffIds.push(`sha256:${index === options.wrongDiffId ? sha256(`not ${diffId}`) : diffId}`);
    const layerPath = `${diffId}/layer.tar`;
    mkdirSync(join(image, diffId));
    writeFileSync(join(image, layerPath), options.gzip ? gzipSync(data) : data);
    layerPaths.push(layerPath);
    rmSync(root, { recursive: true, force: true });
    rmSync(plain);
  }
  const config = JSON.stringify({
    architecture: options.architecture ?? 'amd64',
    os: options.os ?? 'linux',
    config: { Entrypoint: ['/run.sh'] },
    rootfs: { type: 'layers', diff_ids: diffIds },
  });
  const configName = `${sha256(config)}.json`;
  writeFileSync(join(image, configName), config);
  const described = { Config: configName, RepoTags: [options.repoTag ?? BACKEND_TAG], Layers: layerPaths };
  writeFileSync(
    join(image, 'manifest.json'),
    JSON.stringify(Array.from({ length: options.images ?? 1 }, () => described)),
  );

  const archive = join(dir, name);
  execFileSync('tar', [
    '-cf',
    archive,
    '-C',
    image,
    'manifest.json',
    configName,
    ...layerPaths.map((path) => dirname(path)),
  ]);
  rmSync(image, { recursive: true, force: true });
  return archive;
}

/** The llama.cpp backend in miniature: a first layer as package.sh would lay it out, a second that patches it. */
export const BACKEND_LAYERS: readonly LayerSpec[] = [
  {
    'run.sh': {
      content: '#!/bin/sh\nexec "$(dirname "$0")/lib/ld.so" "$(dirname "$0")/llama-cpp-cpu-all" "$@"\n',
      mode: 0o755,
    },
    'llama-cpp-cpu-all': { content: 'ELF...', mode: 0o755 },
    'lib/ld.so': { content: 'ld', mode: 0o755 },
    'lib/libc.so.6': { content: 'libc' },
    'lib/libstdc++.so.6': { content: 'libstdc++' },
    'old-notes.txt': { content: 'removed by the next layer' },
    'variants/llama-cpp-avx2': { content: 'old variant', mode: 0o755 },
    'variants/llama-cpp-avx512': { content: 'old variant', mode: 0o755 },
  },
  {
    '.wh.old-notes.txt': {},
    'variants/.wh..wh..opq': {},
    'variants/README': { content: 'one binary since v4.6 (cpu-all)' },
    'lib/libgomp.so.1': { content: 'gomp' },
  },
];
