/**
 * What the SLM-Copilot image needs from the lock, beyond the generic schema: each required artifact is present and
 * agrees with the constants the rest of the program is written for (model file name, LocalAI version).
 */
import { LOCALAI_VERSION, MODEL } from '../../core/facts/model.ts';
import { type ArtifactLock, findArtifact } from './lock.ts';

export const ARTIFACTS = {
  nodeRuntime: 'node-runtime',
  localai: 'localai',
  localaiBackend: 'localai-backend',
  model: 'model',
  ubuntuCloudImage: 'ubuntu-cloud-image',
  /** OpenNebula's context package (.deb), installed in the image by the Packer build. */
  oneContext: 'one-context',
  /** The one-apps service framework (stage driver, libraries, context hooks), from a tagged source archive. */
  oneAppsFramework: 'one-apps-framework',
} as const;

export type ArtifactName = (typeof ARTIFACTS)[keyof typeof ARTIFACTS];

/** Problems that make the lock unusable for this appliance; empty when it fits. Pins are not required here. */
export function applianceLockProblems(lock: ArtifactLock): string[] {
  const problems: string[] = [];
  for (const name of Object.values(ARTIFACTS)) {
    if (findArtifact(lock, name) === undefined)
      problems.push(`the lock has no "${name}" entry; the image needs it`);
  }
  const model = findArtifact(lock, ARTIFACTS.model);
  if (model !== undefined && model.file !== MODEL.file) {
    problems.push(
      `"model" file is "${model.file}" but LocalAI's model YAML loads "${MODEL.file}" (src/core/facts/model.ts MODEL.file); make them equal`,
    );
  }
  const localai = findArtifact(lock, ARTIFACTS.localai);
  if (localai !== undefined && localai.version !== LOCALAI_VERSION) {
    problems.push(
      `"localai" is ${localai.version} but the configuration is written for ${LOCALAI_VERSION} (src/core/facts/model.ts LOCALAI_VERSION)`,
    );
  }
  const backend = findArtifact(lock, ARTIFACTS.localaiBackend);
  if (backend !== undefined) {
    if (backend.source.kind !== 'oci-digest') {
      problems.push(
        `"localai-backend" must come from an OCI image (source kind "oci-digest"), got "${backend.source.kind}"`,
      );
    } else if (!backend.source.tag.startsWith(`${LOCALAI_VERSION}-`)) {
      problems.push(
        `"localai-backend" tag ${backend.source.tag} does not match LocalAI ${LOCALAI_VERSION}: pin the backend image built with the binary`,
      );
    }
  }
  const ubuntu = findArtifact(lock, ARTIFACTS.ubuntuCloudImage);
  if (ubuntu?.pinned && ubuntu.url !== null && /\/(?:current|release)\//.test(ubuntu.url)) {
    problems.push(
      `"ubuntu-cloud-image" is pinned to a moving directory (${ubuntu.url}): the file there changes under the pin; use the dated release-<serial>/ directory`,
    );
  }
  return problems;
}
