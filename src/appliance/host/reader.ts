/** Reads host facts: /proc-style files from a directory (fixtures in tests), disk and network via a probe. */
import { readFileSync, statfsSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { parseCpuinfo } from '../../core/host/cpuinfo.ts';
import { parseMeminfo } from '../../core/host/meminfo.ts';
import type { DiskFacts, HostFacts, NetworkFacts } from '../../core/host/types.ts';

/** What the reader needs besides /proc: kept behind an interface so tests can supply their own. */
export interface SystemProbe {
  disk(path: string): DiskFacts | null;
  network(): NetworkFacts;
}

export const liveSystem: SystemProbe = {
  disk(path) {
    try {
      const stats = statfsSync(path);
      return { path, totalBytes: stats.blocks * stats.bsize, freeBytes: stats.bavail * stats.bsize };
    } catch {
      return null;
    }
  },
  network() {
    const addresses = Object.values(networkInterfaces())
      .flat()
      .filter((address) => address !== undefined && !address.internal)
      .map((address) => address as { address: string; family: string })
      .filter(({ address }) => !address.toLowerCase().startsWith('fe80:'))
      .sort((a, b) => (a.family === b.family ? 0 : a.family === 'IPv4' ? -1 : 1))
      .map(({ address }) => address);
    return { hostname: hostname(), addresses };
  },
};

export interface ReadOptions {
  /** Directory holding cpuinfo and meminfo; defaults to /proc. */
  readonly procDir?: string;
  /** Where the model lives: its file system's free space is what matters. */
  readonly diskPath?: string;
  readonly system?: SystemProbe;
}

export function readHostFacts(options: ReadOptions = {}): HostFacts {
  const procDir = options.procDir ?? '/proc';
  const system = options.system ?? liveSystem;
  const read = (name: string) => {
    const path = join(procDir, name);
    try {
      return readFileSync(path, 'utf8');
    } catch (error) {
      throw new Error(
        `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      );
    }
  };
  return {
    cpu: parseCpuinfo(read('cpuinfo')),
    memory: parseMeminfo(read('meminfo')),
    disk: system.disk(options.diskPath ?? '/'),
    network: system.network(),
  };
}
