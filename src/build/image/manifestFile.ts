/** `slm-copilot image manifest`: measures the exported image and writes its manifest (thin IO over manifest.ts). */
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { formatBytes } from '../../core/lib/bytes.ts';
import { runSync, succeeded } from '../../system/process.ts';
import {
  buildVersion,
  type ImageManifest,
  parseOsRelease,
  parseQemuImgInfo,
  renderManifest,
  validateManifest,
} from './manifest.ts';

export interface ManifestOptions {
  readonly image: string;
  readonly out: string;
  /** The appliance version (package.json); the build date is appended. */
  readonly applianceVersion: string;
  /** Overrides the computed `<applianceVersion>-<YYYYMMDD>`. */
  readonly version?: string;
  /** An os-release file to read instead of the image's (virt-cat). */
  readonly osRelease?: string;
  readonly arch: string;
  readonly name: string;
  readonly qemuImg?: string;
  readonly virtCat?: string;
  readonly say: (line: string) => void;
}

export async function writeImageManifest(options: ManifestOptions): Promise<ImageManifest> {
  const qemuImg = options.qemuImg ?? 'qemu-img';
  const info = parseQemuImgInfo(
    succeeded(runSync(qemuImg, ['info', '--output=json', options.image])),
    options.image,
  );
  if (info.format !== 'qcow2') throw new Error(`${options.image} is ${info.format}, not qcow2`);
  const stat = statSync(options.image);
  options.say(`manifest: hashing ${options.image} (${formatBytes(stat.size)})`);
  const digests = await hashFile(options.image, stat.size, options.say);
  const osText =
    options.osRelease === undefined
      ? succeeded(runSync(options.virtCat ?? 'virt-cat', ['-a', options.image, '/etc/os-release']))
      : readFileSync(options.osRelease, 'utf8');
  const os = parseOsRelease(osText);
  if (os === null) throw new Error('the image has no NAME/VERSION_ID in /etc/os-release');
  const created = new Date(Math.floor(stat.mtimeMs));
  const manifest: ImageManifest = {
    name: options.name,
    version: options.version ?? buildVersion(options.applianceVersion, created),
    image: basename(options.image),
    format: 'qcow2',
    size: info.virtualSize,
    file_size: stat.size,
    sha256: digests.sha256,
    md5: digests.md5,
    creation_time: Math.floor(created.getTime() / 1000),
    'os-id': os.id,
    'os-release': os.release,
    'os-arch': options.arch,
  };
  const checked = validateManifest(manifest, options.out);
  if (!checked.ok) throw new Error(checked.problems.join('\n'));
  writeFileSync(
    options.out,
    renderManifest(manifest, `Manifest of ${manifest.image}, written by slm-copilot image manifest.`),
  );
  options.say(`manifest: ${options.out}`);
  return manifest;
}

async function hashFile(path: string, total: number, say: (line: string) => void) {
  const sha256 = createHash('sha256');
  const md5 = createHash('md5');
  let read = 0;
  let reported = Date.now();
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    sha256.update(chunk);
    md5.update(chunk);
    read += chunk.length;
    if (Date.now() - reported > 10_000) {
      reported = Date.now();
      say(`manifest: ${formatBytes(read)} / ${formatBytes(total)} hashed`);
    }
  }
  return { sha256: sha256.digest('hex'), md5: md5.digest('hex') };
}
