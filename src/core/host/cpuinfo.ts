/** Parser for /proc/cpuinfo (x86). Pure: text in, facts out. */
import type { CpuFacts, CpuFlags } from './types.ts';

interface Processor {
  readonly fields: ReadonlyMap<string, string>;
}

function processors(text: string): Processor[] {
  return text
    .split(/\n\s*\n/)
    .map((block) => {
      const fields = new Map<string, string>();
      for (const line of block.split('\n')) {
        const colon = line.indexOf(':');
        if (colon !== -1) fields.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
      }
      return { fields };
    })
    .filter((processor) => processor.fields.has('processor'));
}

export function parseCpuinfo(text: string): CpuFacts {
  const all = processors(text);
  if (all.length === 0) throw new Error('cpuinfo has no "processor" entries');
  const first = all[0] as Processor;
  const flagSet = new Set((first.fields.get('flags') ?? '').split(/\s+/).filter(Boolean));
  const flags: CpuFlags = {
    avx: flagSet.has('avx'),
    avx2: flagSet.has('avx2'),
    avx512f: flagSet.has('avx512f'),
    fma: flagSet.has('fma'),
    f16c: flagSet.has('f16c'),
    vnni: flagSet.has('avx_vnni') || flagSet.has('avx512_vnni'),
    amx: flagSet.has('amx_tile'),
  };
  const cores = new Set<string>();
  const sockets = new Set<string>();
  for (const processor of all) {
    const socket = processor.fields.get('physical id');
    const core = processor.fields.get('core id');
    // Without topology fields (some hypervisors hide them) every logical CPU is its own core.
    const id =
      socket === undefined || core === undefined
        ? `cpu${processor.fields.get('processor')}`
        : `${socket}:${core}`;
    cores.add(id);
    sockets.add(socket ?? '0');
  }
  return {
    modelName: first.fields.get('model name') ?? 'unknown',
    logicalCpus: all.length,
    physicalCores: cores.size,
    sockets: sockets.size,
    flags,
    virtualised: flagSet.has('hypervisor'),
  };
}
