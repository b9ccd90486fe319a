/**
 * Which locked artifacts the image build uses where. The host gives Packer the Ubuntu cloud image; the build VM
 * gets everything else from the host over Packer's HTTP server (never from the internet): the context package and
 * the one-apps framework for the provisioners, and what `slm-copilot install` verifies from its cache.
 */
import { ARTIFACTS } from '../lock/appliance.ts';
import type { ArtifactEntry } from '../lock/lock.ts';

/** Booted by Packer (iso_url/iso_checksum come from the lock). */
export const HOST_ARTIFACTS: readonly string[] = [ARTIFACTS.ubuntuCloudImage];

/** Copied into the build VM's /var/cache/slm-copilot before `service install`. */
export const GUEST_ARTIFACTS: readonly string[] = [
  ARTIFACTS.oneContext,
  ARTIFACTS.oneAppsFramework,
  ARTIFACTS.nodeRuntime,
  ARTIFACTS.localai,
  ARTIFACTS.localaiBackend,
  ARTIFACTS.model,
];

export const IMAGE_ARTIFACTS: readonly string[] = [...HOST_ARTIFACTS, ...GUEST_ARTIFACTS];

/**
 * The list the build VM fetches, checks and looks files up in: one line per artifact, `<name> <file> <sha256>`
 * separated by single spaces (names and files never contain spaces: the lock's schema says so).
 */
export function guestArtifactList(entries: readonly ArtifactEntry[]): string {
  const lines = GUEST_ARTIFACTS.map((name) => {
    const entry = entries.find((candidate) => candidate.name === name);
    if (entry === undefined || entry.sha256 === null)
      throw new Error(`"${name}" is not pinned in the lock; the image build needs it`);
    return `${entry.name} ${entry.file} ${entry.sha256}`;
  });
  return `${lines.join('\n')}\n`;
}
