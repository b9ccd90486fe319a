/**
 * The image manifest written beside export/slm-copilot-<version>.qcow2: what the marketplace YAML needs about the
 * image (virtual size, file size, checksums, creation time, OS). Same keys as one-apps' packer/manifest.sh, so the
 * file reads the same as the manifests of the official appliances. Pure: parsing and rendering only.
 */
import { parse, stringify } from 'yaml';

export interface ImageManifest {
  readonly name: string;
  /** The marketplace version: `<appliance version>-<YYYYMMDD>` of the build. */
  readonly version: string;
  /** The image's file name (in export/). */
  readonly image: string;
  readonly format: 'qcow2';
  /** Virtual disk size in bytes (what `images[].size` in the marketplace YAML is). */
  readonly size: number;
  /** Bytes of the compressed file (what is uploaded). */
  readonly file_size: number;
  readonly sha256: string;
  readonly md5: string;
  /** Epoch seconds, UTC. */
  readonly creation_time: number;
  readonly 'os-id': string;
  readonly 'os-release': string;
  readonly 'os-arch': string;
}

export type ManifestResult =
  | { readonly ok: true; readonly manifest: ImageManifest }
  | { readonly ok: false; readonly problems: readonly string[] };

const KEYS = [
  'name',
  'version',
  'image',
  'format',
  'size',
  'file_size',
  'sha256',
  'md5',
  'creation_time',
  'os-id',
  'os-release',
  'os-arch',
] as const;

/** Checks every field; all problems at once, each naming the field, the value and what is expected. */
export function validateManifest(value: unknown, origin: string): ManifestResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, problems: [`${origin} must be a YAML mapping with ${KEYS.join(', ')}`] };
  }
  const record = value as Record<string, unknown>;
  const problems: string[] = [];
  const add = (key: string, expected: string) =>
    problems.push(`${origin}: ${key} must be ${expected}, got ${JSON.stringify(record[key] ?? null)}`);
  for (const key of Object.keys(record)) {
    if (!(KEYS as readonly string[]).includes(key)) problems.push(`${origin}: unknown field "${key}"`);
  }
  const text = (key: string, pattern: RegExp, expected: string) => {
    if (typeof record[key] !== 'string' || !pattern.test(record[key] as string)) add(key, expected);
  };
  const count = (key: string) => {
    if (!Number.isSafeInteger(record[key]) || (record[key] as number) <= 0)
      add(key, 'a positive whole number');
  };
  text('name', /\S/, 'a non-empty name');
  text('version', /^[0-9A-Za-z][0-9A-Za-z.+-]*$/, 'a version such as 0.1.0-20260101');
  text('image', /^[A-Za-z0-9][A-Za-z0-9._+-]*\.qcow2$/, 'the image file name (*.qcow2)');
  if (record.format !== 'qcow2') add('format', '"qcow2"');
  count('size');
  count('file_size');
  text('sha256', /^[0-9a-f]{64}$/, '64 lowercase hexadecimal digits');
  text('md5', /^[0-9a-f]{32}$/, '32 lowercase hexadecimal digits');
  count('creation_time');
  text('os-id', /\S/, 'the OS name, e.g. Ubuntu');
  text('os-release', /^\d+(\.\d+)*/, "the OS release, e.g. '24.04'");
  text('os-arch', /^(x86_64|aarch64)$/, 'x86_64 or aarch64');
  if (problems.length === 0 && (record.file_size as number) > (record.size as number) + 1024 * 1024 * 1024) {
    problems.push(
      `${origin}: file_size ${record.file_size} exceeds the virtual size ${record.size}: are they swapped?`,
    );
  }
  return problems.length > 0
    ? { ok: false, problems }
    : { ok: true, manifest: record as unknown as ImageManifest };
}

export function parseManifest(text: string, origin: string): ManifestResult {
  let value: unknown;
  try {
    value = parse(text);
  } catch (error) {
    return { ok: false, problems: [`${origin} is not valid YAML: ${(error as Error).message}`] };
  }
  return validateManifest(value, origin);
}

export function renderManifest(manifest: ImageManifest, comment?: string): string {
  const ordered = Object.fromEntries(KEYS.map((key) => [key, manifest[key]]));
  const header = comment === undefined ? '' : `${comment.replace(/^/gm, '# ')}\n`;
  return `${header}---\n${stringify(ordered, { version: '1.1', lineWidth: 0 })}`;
}

/** `qemu-img info --output=json`: the virtual size and format. */
export function parseQemuImgInfo(json: string, origin: string): { virtualSize: number; format: string } {
  const value = JSON.parse(json) as Record<string, unknown>;
  const virtualSize = value['virtual-size'];
  const format = value.format;
  if (!Number.isSafeInteger(virtualSize) || typeof format !== 'string') {
    throw new Error(`${origin}: qemu-img info gave no virtual-size/format (${json.slice(0, 200)})`);
  }
  return { virtualSize: virtualSize as number, format };
}

/** NAME and VERSION_ID of an os-release file (one-apps' manifest uses the same two). */
export function parseOsRelease(text: string): { id: string; release: string } | null {
  const field = (name: string) => {
    const match = new RegExp(`^${name}=(.*)$`, 'm').exec(text);
    return match === null ? '' : (match[1] as string).trim().replace(/^(["'])(.*)\1$/, '$2');
  };
  const id = field('NAME');
  const release = field('VERSION_ID');
  return id === '' || release === '' ? null : { id, release };
}

/** `<version>-<YYYYMMDD>` for a build at `date` (UTC): the marketplace caches by version, so every build differs. */
export function buildVersion(version: string, date: Date): string {
  return `${version}-${date.toISOString().slice(0, 10).replaceAll('-', '')}`;
}
