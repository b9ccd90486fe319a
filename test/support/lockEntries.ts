/** Lock entries the artifact tests share. */
import type { ArtifactEntry } from '../../src/artifacts/lock/lock.ts';

/** An unpinned Hugging Face LFS file on the branch main of org/repo (make lock pins it to a commit). */
export function huggingFaceEntry(name: string, version: string, file: string): ArtifactEntry {
  return {
    name,
    version,
    file,
    url: `https://huggingface.co/org/repo/resolve/main/${file}`,
    sha256: null,
    size: null,
    pinned: false,
    source: {
      kind: 'huggingface-lfs',
      url: 'https://huggingface.co/api/models/org/repo/tree/main',
      repo: 'org/repo',
      revision: 'main',
      path: file,
    },
  };
}
