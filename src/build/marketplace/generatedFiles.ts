/**
 * The marketplace files kept in the repository (marketplace/), registered with the other generated files: `npm run
 * generate` rewrites them and a test fails while one is stale. The appliance YAML is generated from the committed
 * manifest (marketplace/manifest.yaml, which `make image` replaces with the manifest of the image it built).
 */
import { readFileSync } from 'node:fs';
import { type ImageManifest, parseManifest } from '../image/manifest.ts';
import { renderHarnessMetadata, renderHarnessTests } from './harness.ts';
import { marketplaceFileName, renderMarketplaceYaml } from './marketplaceYaml.ts';

export const MARKETPLACE_DIR = 'marketplace';
export const COMMITTED_MANIFEST = `${MARKETPLACE_DIR}/manifest.yaml`;

interface GeneratedFile {
  readonly path: string;
  readonly render: (current: string) => string;
}

const root = new URL('../../../', import.meta.url);

/** The committed manifest (marketplace/manifest.yaml). */
export function committedManifest(): ImageManifest {
  const text = readFileSync(new URL(COMMITTED_MANIFEST, root), 'utf8');
  const manifest = parseManifest(text, COMMITTED_MANIFEST);
  if (!manifest.ok) throw new Error(manifest.problems.join('\n'));
  return manifest.manifest;
}

/** The committed appliance YAML, from the committed manifest. */
export function renderCommittedMarketplaceYaml(): string {
  return renderMarketplaceYaml(committedManifest());
}

export const MARKETPLACE_GENERATED_FILES: readonly GeneratedFile[] = [
  { path: `${MARKETPLACE_DIR}/${marketplaceFileName()}`, render: () => renderCommittedMarketplaceYaml() },
  { path: `${MARKETPLACE_DIR}/metadata.yaml`, render: () => renderHarnessMetadata() },
  { path: `${MARKETPLACE_DIR}/tests.yaml`, render: () => renderHarnessTests() },
];
