/**
 * The backend archive, as far as this machine can check it (there is no LocalAI here): the exact install command
 * the appliance runs, the format of a docker-save archive (proved by extracting a generated one with our extractor,
 * whiteouts included), and the layout LocalAI's discovery needs. That LocalAI itself installs the real archive into
 * the same layout is what the install stage checks on the VM with verifyBackendLayout.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  backendInstallCommand,
  backendMetadata,
  LLAMA_CPP_BACKEND,
  verifyBackendLayout,
  writeBackendMetadata,
} from '../../../src/artifacts/archives/backendArchive.ts';
import { extractDockerArchive, inspectDockerArchive } from '../../../src/artifacts/archives/dockerArchive.ts';
import { BACKEND_LAYERS, BACKEND_TAG, buildDockerArchive } from '../../support/dockerArchiveFixture.ts';

let work: string;
let backends: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'slm-backend-'));
  backends = join(work, 'var/lib/local-ai/backends');
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

/** Installs like LocalAI: image into <backends>/cpu-llama-cpp, then metadata.json with name and alias. */
async function install(archive: string) {
  const directory = join(backends, LLAMA_CPP_BACKEND.name);
  const image = await extractDockerArchive(archive, directory, { platform: 'linux/amd64' });
  writeBackendMetadata(
    directory,
    backendMetadata(LLAMA_CPP_BACKEND, new Date('2026-09-01T10:00:00.123Z'), `ocifile://${archive}`),
  );
  return { directory, image };
}

function allFiles(root: string, prefix = ''): string[] {
  return readdirSync(root, { withFileTypes: true }).flatMap((entry) => {
    const relative = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    return entry.isDirectory() ? [`${relative}/`, ...allFiles(join(root, entry.name), relative)] : [relative];
  });
}

describe('the backend install command', () => {
  it('installs the archive under the name cpu-llama-cpp with the alias llama-cpp, every path explicit', () => {
    const command = backendInstallCommand({
      archive: '/var/cache/slm-copilot/local-ai-backends-v4.9.0-cpu-llama-cpp.tar',
    });
    assert.equal(command.command, '/usr/local/bin/local-ai');
    assert.deepEqual(command.args, [
      'backends',
      'install',
      '--backends-path',
      '/var/lib/local-ai/backends',
      '--backends-system-path',
      '/var/lib/local-ai/backends',
      '--backend-galleries',
      '[]',
      'ocifile:///var/cache/slm-copilot/local-ai-backends-v4.9.0-cpu-llama-cpp.tar',
      'cpu-llama-cpp',
      'llama-cpp',
    ]);
    assert.deepEqual(command.env, {
      LOCALAI_BACKENDS_PATH: '/var/lib/local-ai/backends',
      LOCALAI_BACKENDS_SYSTEM_PATH: '/var/lib/local-ai/backends',
      LOCALAI_BACKEND_GALLERIES: '[]',
    });
    assert.equal(command.cwd, '/var/lib/local-ai', 'not wherever the installer happens to run');
    assert.equal(
      command.text,
      "/usr/local/bin/local-ai backends install --backends-path /var/lib/local-ai/backends --backends-system-path /var/lib/local-ai/backends --backend-galleries '[]' ocifile:///var/cache/slm-copilot/local-ai-backends-v4.9.0-cpu-llama-cpp.tar cpu-llama-cpp llama-cpp",
    );
  });

  it('takes the paths of a root prefix', () => {
    const command = backendInstallCommand({
      archive: '/tmp/root/cache/b.tar',
      backendsPath: '/tmp/root/var/lib/local-ai/backends',
      workingDirectory: '/tmp/root/var/lib/local-ai',
      localaiBinary: '/tmp/root/usr/local/bin/local-ai',
    });
    assert.equal(command.args[3], '/tmp/root/var/lib/local-ai/backends');
    assert.equal(command.args[8], 'ocifile:///tmp/root/cache/b.tar');
    assert.equal(command.cwd, '/tmp/root/var/lib/local-ai');
  });

  it('refuses relative paths and paths that cannot be a URI, naming each', () => {
    assert.throws(
      () => backendInstallCommand({ archive: 'cache/b.tar', backendsPath: 'backends' }),
      (error: Error) =>
        /the backend archive must be an absolute path, got "cache\/b\.tar"/.test(error.message) &&
        /the backends path must be an absolute path, got "backends"/.test(error.message),
    );
    assert.throws(() => backendInstallCommand({ archive: '/tmp/my backend.tar' }), /must not contain spaces/);
  });
});

describe('docker-save archive extraction (test-side stand-in for LocalAI)', () => {
  it('applies the layers in order, honouring whiteouts, into the layout LocalAI expects', async () => {
    const archive = buildDockerArchive(work, 'backend.tar', BACKEND_LAYERS);
    const { directory, image } = await install(archive);

    assert.deepEqual(image.repoTags, [BACKEND_TAG]);
    assert.equal(image.layers.length, 2);
    assert.equal(`${image.os}/${image.architecture}`, 'linux/amd64');
    assert.deepEqual(allFiles(directory).sort(), [
      'lib/',
      'lib/ld.so',
      'lib/libc.so.6',
      'lib/libgomp.so.1',
      'lib/libstdc++.so.6',
      'llama-cpp-cpu-all',
      'metadata.json',
      'run.sh',
      'variants/',
      'variants/README',
    ]);
    assert.equal(statSync(join(directory, 'run.sh')).mode & 0o777, 0o755);
    assert.deepEqual(JSON.parse(readFileSync(join(directory, 'metadata.json'), 'utf8')), {
      name: 'cpu-llama-cpp',
      alias: 'llama-cpp',
      installed_at: '2026-09-01T10:00:00Z',
      uri: `ocifile://${archive}`,
    });
    assert.deepEqual(verifyBackendLayout(backends), []);
    assert.deepEqual(readdirSync(backends), ['cpu-llama-cpp'], 'no staging or work directories left behind');
  });

  it('reads gzip-compressed layers too', async () => {
    const archive = buildDockerArchive(work, 'backend.tar', BACKEND_LAYERS, { gzip: true });
    await install(archive);
    assert.deepEqual(verifyBackendLayout(backends), []);
    assert.equal(existsSync(join(backends, 'cpu-llama-cpp/old-notes.txt')), false);
  });

  it('a reinstall replaces the backend as a whole', async () => {
    await install(buildDockerArchive(work, 'first.tar', BACKEND_LAYERS));
    const next = buildDockerArchive(work, 'second.tar', [
      { 'run.sh': { content: '#!/bin/sh\n', mode: 0o755 } },
    ]);
    await install(next);
    assert.deepEqual(allFiles(join(backends, 'cpu-llama-cpp')).sort(), ['metadata.json', 'run.sh']);
  });

  it('inspects an archive without extracting it', async () => {
    const archive = buildDockerArchive(work, 'backend.tar', BACKEND_LAYERS);
    const image = await inspectDockerArchive(archive);
    assert.deepEqual(image.repoTags, [BACKEND_TAG]);
    assert.match(image.config, /^[0-9a-f]{64}\.json$/);
    await assert.rejects(inspectDockerArchive(join(work, 'missing.tar')), /has no readable manifest\.json/);
  });

  it('refuses a layer that is not the one the config names, and leaves the installed backend alone', async () => {
    const { directory } = await install(buildDockerArchive(work, 'good.tar', BACKEND_LAYERS));
    const before = allFiles(directory).sort();
    const bad = buildDockerArchive(work, 'bad.tar', BACKEND_LAYERS, { wrongDiffId: 1 });
    await assert.rejects(
      extractDockerArchive(bad, directory),
      /layer 2 \(.*\/layer\.tar\) is sha256:[0-9a-f]{64}, the config says sha256:/,
    );
    assert.deepEqual(allFiles(directory).sort(), before);
    assert.deepEqual(readdirSync(backends), ['cpu-llama-cpp']);
  });

  it('refuses an archive with several images, for another platform, or with members outside the root', async () => {
    const two = buildDockerArchive(work, 'two.tar', BACKEND_LAYERS, { images: 2 });
    await assert.rejects(
      extractDockerArchive(two, join(work, 'x')),
      /must describe exactly one image .* found 2/,
    );
    const arm = buildDockerArchive(work, 'arm.tar', BACKEND_LAYERS, { architecture: 'arm64' });
    await assert.rejects(
      extractDockerArchive(arm, join(work, 'x'), { platform: 'linux/amd64' }),
      /is an image for linux\/arm64, not linux\/amd64/,
    );

    const outside = join(work, 'outside');
    mkdirSync(join(outside, 'inner'), { recursive: true });
    writeFileSync(join(outside, 'evil'), 'x');
    const layer = join(work, 'escape.tar');
    execFileSync('tar', ['-cf', layer, '-P', '-C', join(outside, 'inner'), '../evil']);
    assert.match(
      execFileSync('tar', ['-tf', layer], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }),
      /^\.\.\/evil$/m,
      'the fixture really holds ../evil',
    );
    const escaping = buildDockerArchive(work, 'escape-image.tar', [
      { 'run.sh': { content: 'x', mode: 0o755 } },
    ]);
    // Swap the generated layer for the escaping one; the config's diff_id is updated, so only the path is wrong.
    await assert.rejects(
      extractDockerArchive(withLayer(escaping, layer), join(work, 'x')),
      /members outside the image root: \.\.\/evil/,
    );
    assert.equal(existsSync(join(work, 'evil')), false);
  });
});

/** A copy of a one-layer archive whose layer is replaced by `layer`, config diff_id updated to match. */
function withLayer(archive: string, layer: string): string {
  const dir = mkdtempSync(join(work, 'swap-'));
  execFileSync('tar', ['-xf', archive, '-C', dir]);
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  const layerPath = join(dir, manifest[0].Layers[0]);
  writeFileSync(layerPath, readFileSync(layer));
  const configPath = join(dir, manifest[0].Config);
  const config = JSON.parse(readFileSync(configPath, 'utf8'));
  const digest = execFileSync('sha256sum', [layerPath], { encoding: 'utf8' }).split(' ')[0];
  config.rootfs.diff_ids = [`sha256:${digest}`];
  const text = JSON.stringify(config);
  const name = `${execFileSync('sha256sum', { input: text, encoding: 'utf8' }).split(' ')[0]}.json`;
  rmSync(configPath);
  writeFileSync(join(dir, name), text);
  manifest[0].Config = name;
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  const out = join(work, 'swapped.tar');
  execFileSync('tar', ['-cf', out, '-C', dir, '.']);
  return out;
}

describe('verifyBackendLayout', () => {
  async function installed() {
    return (await install(buildDockerArchive(work, 'backend.tar', BACKEND_LAYERS))).directory;
  }

  it('says when the backend is not installed at all', () => {
    mkdirSync(backends, { recursive: true });
    assert.deepEqual(verifyBackendLayout(backends), [
      `${join(backends, 'cpu-llama-cpp')} is not a directory: the backend is not installed (run the backend install command)`,
    ]);
  });

  it('requires the llama-cpp alias in metadata.json', async () => {
    const directory = await installed();
    writeFileSync(
      join(directory, 'metadata.json'),
      JSON.stringify({ name: 'cpu-llama-cpp', installed_at: 'x' }),
    );
    const problems = verifyBackendLayout(backends);
    assert.equal(problems.length, 1);
    assert.match(
      problems[0] ?? '',
      /has alias undefined, expected "llama-cpp" \(models say backend: llama-cpp; install with the alias as third argument\)/,
    );
  });

  it('requires an executable run.sh and readable metadata, reporting all problems', async () => {
    const directory = await installed();
    chmodSync(join(directory, 'run.sh'), 0o644);
    writeFileSync(join(directory, 'metadata.json'), '{ broken');
    const problems = verifyBackendLayout(backends);
    assert.equal(problems.length, 2, problems.join('\n'));
    assert.match(problems[0] ?? '', /run\.sh is not executable \(mode 644\)/);
    assert.match(problems[1] ?? '', /metadata\.json is not valid JSON/);
    rmSync(join(directory, 'run.sh'));
    rmSync(join(directory, 'metadata.json'));
    assert.deepEqual(
      verifyBackendLayout(backends).map((problem) => problem.replace(directory, '<dir>')),
      [
        '<dir>/run.sh is missing: LocalAI only lists directories with a run.sh',
        '<dir>/metadata.json is missing: LocalAI writes it at install (name and alias)',
      ],
    );
  });

  it('refuses a second backend answering to llama-cpp, but accepts a meta backend pointing at ours', async () => {
    await installed();
    const meta = join(backends, 'llama-cpp');
    mkdirSync(meta);
    writeFileSync(
      join(meta, 'metadata.json'),
      JSON.stringify({ name: 'llama-cpp', meta_backend_for: 'cpu-llama-cpp' }),
    );
    assert.deepEqual(verifyBackendLayout(backends), []);
    const other = join(backends, 'cuda12-llama-cpp');
    mkdirSync(other);
    writeFileSync(
      join(other, 'metadata.json'),
      JSON.stringify({ name: 'cuda12-llama-cpp', alias: 'llama-cpp' }),
    );
    assert.deepEqual(verifyBackendLayout(backends), [
      `${other} also answers to "llama-cpp"; remove it so the name is unambiguous`,
    ]);
  });
});
