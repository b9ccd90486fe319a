/** Byte sizes and the one byte formatter of the program. Pure. */
export const KIB = 1024;
export const MIB = 1024 ** 2;
export const GIB = 1024 ** 3;

const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/**
 * A size for people. 'binary' (downloads, files): the largest binary unit below 1024, one decimal ("512 B",
 * "13.3 GiB"). 'memory' (the memory budget): GiB with one decimal from 1 GiB on, whole MiB below ("640 MiB").
 */
export function formatBytes(bytes: number, style: 'binary' | 'memory' = 'binary'): string {
  if (style === 'memory') {
    return bytes >= GIB ? `${(bytes / GIB).toFixed(1)} GiB` : `${Math.round(bytes / MIB)} MiB`;
  }
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BINARY_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${BINARY_UNITS[unit]}`;
}
