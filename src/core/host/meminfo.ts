/** Parser for /proc/meminfo. Pure: text in, bytes out. */
import type { MemoryFacts } from './types.ts';

export function parseMeminfo(text: string): MemoryFacts {
  const kib = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^(\w+):\s+(\d+)\s*kB/.exec(line);
    if (match) kib.set(match[1] as string, Number(match[2]));
  }
  const total = kib.get('MemTotal');
  if (total === undefined) throw new Error('meminfo has no MemTotal line');
  // MemAvailable exists since Linux 3.14; older kernels: free + page cache is the usual estimate.
  const available = kib.get('MemAvailable') ?? (kib.get('MemFree') ?? 0) + (kib.get('Cached') ?? 0);
  return { totalBytes: total * 1024, availableBytes: available * 1024 };
}
