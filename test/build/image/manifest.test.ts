/** The image manifest: parsing, checks, rendering, and `image manifest` on a small qcow2 with a stand-in qemu-img. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  buildVersion,
  type ImageManifest,
  parseManifest,
  parseOsRelease,
  parseQemuImgInfo,
  renderManifest,
  validateManifest,
} from '../../../src/build/image/manifest.ts';
import { writeImageManifest } from '../../../src/build/image/manifestFile.ts';

const MANIFEST: ImageManifest = {
  name: 'SLM-Copilot',
  version: '0.1.0-20260301',
  image: 'slm-copilot-0.1.0.qcow2',
  format: 'qcow2',
  size: 53_687_091_200,
  file_size: 15_900_000_000,
  sha256: 'a'.repeat(64),
  md5: 'b'.repeat(32),
  creation_time: 1_772_323_200,
  'os-id': 'Ubuntu',
  'os-release': '24.04',
  'os-arch': 'x86_64',
};

const UBUNTU_OS_RELEASE = `PRETTY_NAME="Ubuntu 24.04.2 LTS"
NAME="Ubuntu"
VERSION_ID="24.04"
VERSION="24.04.2 LTS (Noble Numbat)"
ID=ubuntu
`;

/** `qemu-img info --output=json` of a compressed qcow2, as qemu-img 7.2 prints it. */
const QEMU_IMG_INFO = {
  'virtual-size': 53_687_091_200,
  filename: 'slm-copilot-0.1.0.qcow2',
  'cluster-size': 65536,
  format: 'qcow2',
  'actual-size': 200704,
  'format-specific': { type: 'qcow2', data: { compat: '1.1', 'compression-type': 'zlib' } },
  'dirty-flag': false,
};

describe('image manifest', () => {
  it('round-trips through its YAML, in one-apps key order, with os-release quoted', () => {
    const text = renderManifest(MANIFEST, 'a comment');
    assert.ok(text.startsWith('# a comment\n---\nname: SLM-Copilot\nversion: 0.1.0-20260301\n'));
    assert.match(text, /^os-release: "24\.04"$/m);
    const parsed = parseManifest(text, 'm.yaml');
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.problems.join('\n'));
    assert.deepEqual(parsed.manifest, MANIFEST);
  });

  it('names every bad field at once', () => {
    const result = validateManifest(
      { ...MANIFEST, sha256: 'XYZ', md5: 1, size: -1, format: 'raw', 'os-arch': 'arm', extra: 1 },
      'm.yaml',
    );
    assert.ok(!result.ok);
    assert.deepEqual(result.problems, [
      'm.yaml: unknown field "extra"',
      'm.yaml: format must be "qcow2", got "raw"',
      'm.yaml: size must be a positive whole number, got -1',
      'm.yaml: sha256 must be 64 lowercase hexadecimal digits, got "XYZ"',
      'm.yaml: md5 must be 32 lowercase hexadecimal digits, got 1',
      'm.yaml: os-arch must be x86_64 or aarch64, got "arm"',
    ]);
    const swapped = validateManifest({ ...MANIFEST, size: 10, file_size: 10 * 1024 ** 3 }, 'm.yaml');
    assert.ok(!swapped.ok && /are they swapped\?/.test(swapped.problems[0] ?? ''));
  });

  it('reads qemu-img info and os-release, and dates the version', () => {
    assert.deepEqual(parseQemuImgInfo(JSON.stringify(QEMU_IMG_INFO), 'x'), {
      virtualSize: 53_687_091_200,
      format: 'qcow2',
    });
    assert.throws(() => parseQemuImgInfo('{}', 'x.qcow2'), /x\.qcow2: qemu-img info gave no virtual-size/);
    assert.deepEqual(parseOsRelease(UBUNTU_OS_RELEASE), { id: 'Ubuntu', release: '24.04' });
    assert.equal(parseOsRelease('ID=x\n'), null);
    assert.equal(buildVersion('0.1.0', new Date('2026-03-01T23:59:00Z')), '0.1.0-20260301');
  });

  it('`image manifest` measures the file: size from qemu-img, sha256 and md5 of the bytes, mtime', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slm-manifest-'));
    try {
      const image = join(dir, 'slm-copilot-0.1.0.qcow2');
      const bytes = Buffer.from('QFI\xfb compressed image stand-in'.repeat(1000));
      writeFileSync(image, bytes);
      utimesSync(image, 1_772_323_200, 1_772_323_200);
      const qemuImg = join(dir, 'qemu-img');
      writeFileSync(qemuImg, `#!/bin/sh\ncat <<'EOF'\n${JSON.stringify(QEMU_IMG_INFO, null, 4)}\nEOF\n`, {
        mode: 0o755,
      });
      const osRelease = join(dir, 'os-release');
      writeFileSync(osRelease, UBUNTU_OS_RELEASE);
      const lines: string[] = [];
      const out = join(dir, 'slm-copilot-0.1.0.yaml');
      const manifest = await writeImageManifest({
        image,
        out,
        applianceVersion: '0.1.0',
        osRelease,
        arch: 'x86_64',
        name: 'SLM-Copilot',
        qemuImg,
        say: (line) => lines.push(line),
      });
      assert.deepEqual(manifest, {
        name: 'SLM-Copilot',
        version: '0.1.0-20260301',
        image: 'slm-copilot-0.1.0.qcow2',
        format: 'qcow2',
        size: 53_687_091_200,
        file_size: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
        md5: createHash('md5').update(bytes).digest('hex'),
        creation_time: 1_772_323_200,
        'os-id': 'Ubuntu',
        'os-release': '24.04',
        'os-arch': 'x86_64',
      });
      const written = parseManifest(readFileSync(out, 'utf8'), out);
      assert.ok(written.ok);
      assert.deepEqual(written.manifest, manifest);
      assert.match(lines.join('\n'), /manifest: hashing .* \(.*KiB\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
