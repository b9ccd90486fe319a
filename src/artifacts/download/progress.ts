/** Progress reports of a download, and one line of text for them (the CLI may draw its own bar from the same data). */
import { formatBytes } from '../../core/lib/bytes.ts';
import type { SourceKind } from './plan.ts';

export type ProgressPhase = 'downloading' | 'verifying' | 'done';

export interface Progress {
  readonly artifact: string;
  readonly file: string;
  readonly phase: ProgressPhase;
  readonly source: SourceKind | 'existing';
  /** URL or path. */
  readonly from: string;
  /** Bytes in the destination's part file (a resumed download counts what was already there). */
  readonly received: number;
  /** Expected size when the lock knows it. */
  readonly total: number | null;
}

export type ProgressListener = (progress: Progress) => void;

export function formatProgress(progress: Progress): string {
  const size =
    progress.total === null
      ? formatBytes(progress.received)
      : `${formatBytes(progress.received)} / ${formatBytes(progress.total)}`;
  const percent =
    progress.total === null || progress.total === 0
      ? ''
      : ` ${Math.min(100, Math.floor((progress.received / progress.total) * 100))}%`;
  return `${progress.artifact}: ${progress.phase} ${size}${percent} (${progress.source})`;
}
