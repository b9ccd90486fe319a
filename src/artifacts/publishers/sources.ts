/**
 * Where each publisher states its checksums (URLs, request headers, a registry's token challenge), and how a moving
 * reference (Ubuntu's release/, a Hugging Face branch) resolves to a fixed one. Pure.
 */
import type { Stated } from './parse.ts';

/** What a registry's manifest request must accept so the tag's own digest (index or manifest) comes back. */
export const OCI_MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

export const GITHUB_API_HEADERS = {
  Accept: 'application/vnd.github+json',
  'X-GitHub-Api-Version': '2022-11-28',
} as const;

export interface BearerChallenge {
  readonly realm: string;
  readonly service?: string;
  readonly scope?: string;
}

/** `WWW-Authenticate: Bearer realm="…",service="…",scope="…"` → the anonymous token request's parts. */
export function parseBearerChallenge(header: string | undefined): BearerChallenge | null {
  const match = /^\s*Bearer\s+(.*)$/i.exec(header ?? '');
  if (match === null) return null;
  const fields: Record<string, string> = {};
  for (const part of (match[1] as string).matchAll(/([A-Za-z]+)="([^"]*)"/g)) {
    fields[(part[1] as string).toLowerCase()] = part[2] as string;
  }
  if (fields.realm === undefined || !/^https?:\/\//.test(fields.realm)) return null;
  return {
    realm: fields.realm,
    ...(fields.service === undefined ? {} : { service: fields.service }),
    ...(fields.scope === undefined ? {} : { scope: fields.scope }),
  };
}

export function bearerTokenUrl(challenge: BearerChallenge): string {
  const url = new URL(challenge.realm);
  if (challenge.service !== undefined) url.searchParams.set('service', challenge.service);
  if (challenge.scope !== undefined) url.searchParams.set('scope', challenge.scope);
  return url.href;
}

export function parseBearerToken(json: unknown, origin: string): Stated<string> {
  const record = typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : {};
  const token = typeof record.token === 'string' ? record.token : record.access_token;
  return typeof token === 'string' && token !== ''
    ? { ok: true, value: token }
    : { ok: false, problem: `${origin} returned no token` };
}

/** An Ubuntu cloud image URL: `https://cloud-images.ubuntu.com/releases/<series>/<dir>/<file>`. */
const UBUNTU = /^(https:\/\/cloud-images\.ubuntu\.com\/releases\/[a-z0-9.]+\/)([^/]+)\/([^/]+)$/;

export function isUbuntuCloudImage(url: string | null): boolean {
  return url !== null && UBUNTU.test(url);
}

/** The series index that lists the dated `release-<serial>/` directories (the parent of the image's directory). */
export function ubuntuSeriesIndex(url: string): string | null {
  return UBUNTU.exec(url)?.[1] ?? null;
}

/** The newest `release-YYYYMMDD[.N]/` directory of a series index page; null when it lists none. */
export function latestUbuntuSerial(html: string): string | null {
  const serials = [...html.matchAll(/href="(?:\.\/)?release-(\d{8}(?:\.\d+)?)\/"/g)].map(
    (match) => match[1] as string,
  );
  const sorted = [...new Set(serials)].sort((a, b) => serialKey(a).localeCompare(serialKey(b)));
  return sorted.at(-1) ?? null;
}

function serialKey(serial: string): string {
  const [date, point = '0'] = serial.split('.');
  return `${date}.${point.padStart(4, '0')}`;
}

/** The image and its SHA256SUMS in the dated directory of `serial`. */
export function ubuntuDatedUrls(url: string, serial: string): { url: string; sums: string } | null {
  const match = UBUNTU.exec(url);
  if (match === null) return null;
  const directory = `${match[1]}release-${serial}/`;
  return { url: `${directory}${match[3]}`, sums: `${directory}SHA256SUMS` };
}

/** Hugging Face's tree listing for the directory holding `path` at `revision`. */
export function huggingFaceTreeUrl(repo: string, revision: string, path: string): string {
  const slash = path.lastIndexOf('/');
  const directory = slash === -1 ? '' : `/${path.slice(0, slash)}`;
  return `https://huggingface.co/api/models/${repo}/tree/${revision}${directory}`;
}

export function huggingFaceRevisionUrl(repo: string, branch: string): string {
  return `https://huggingface.co/api/models/${repo}/revision/${branch}`;
}
