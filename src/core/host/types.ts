/** Facts about the machine the plan is computed for. */

/** CPU features that decide which llama.cpp kernels can run. */
export interface CpuFlags {
  readonly avx: boolean;
  readonly avx2: boolean;
  readonly avx512f: boolean;
  readonly fma: boolean;
  readonly f16c: boolean;
  /** avx_vnni or avx512_vnni */
  readonly vnni: boolean;
  /** amx_tile (Sapphire Rapids and later) */
  readonly amx: boolean;
}

export interface CpuFacts {
  readonly modelName: string;
  readonly logicalCpus: number;
  /** Cores counted once per (physical id, core id): SMT siblings do not count twice. */
  readonly physicalCores: number;
  readonly sockets: number;
  readonly flags: CpuFlags;
  /** The kernel sees a hypervisor (the `hypervisor` flag). */
  readonly virtualised: boolean;
}

export interface MemoryFacts {
  readonly totalBytes: number;
  readonly availableBytes: number;
}

export interface DiskFacts {
  readonly path: string;
  readonly totalBytes: number;
  readonly freeBytes: number;
}

export interface NetworkFacts {
  readonly hostname: string;
  /** Non-loopback, non-link-local addresses, IPv4 first. */
  readonly addresses: readonly string[];
}

export interface HostFacts {
  readonly cpu: CpuFacts;
  readonly memory: MemoryFacts;
  readonly disk: DiskFacts | null;
  readonly network: NetworkFacts;
}
