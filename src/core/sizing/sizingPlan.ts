/** Chooses threads and context for the host and checks the memory budget; refuses what cannot fit, with the numbers. */

import { MODEL } from '../facts/model.ts';
import type { HostFacts } from '../host/types.ts';
import { formatBytes } from '../lib/bytes.ts';
import { DECLARATIONS, type Settings } from '../settings/declarations.ts';
import type { SettingsProblem } from '../settings/types.ts';
import {
  AUTO_CONTEXT_STEPS,
  estimatedPrefillRate,
  fixedBytes,
  KV_BYTES_PER_TOKEN,
  largestFittingContext,
  type MemoryBudget,
  MIN_RECOMMENDED_CORES,
  memoryBudget,
  promptCacheMib,
} from './sizing.ts';

export interface Sizing {
  readonly threads: number;
  readonly contextSize: number;
  readonly kvCacheBytes: number;
  readonly promptCacheMib: number;
  readonly memory: MemoryBudget;
  /** Estimated prompt processing speed on this host (tokens/s), for warnings and the report. */
  readonly prefillTokensPerSecond: number;
  readonly cpuFlags: readonly string[];
}

export type SizingResult =
  | { readonly ok: true; readonly sizing: Sizing; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly errors: readonly SettingsProblem[]; readonly warnings: readonly string[] };

/** Context below which Cline's own system prompt (10–20k tokens) leaves little room for code. */
const CLINE_COMFORTABLE_CONTEXT = 16_384;
/** Above this a cold prompt takes long enough to prefill that the warning gives the minutes. */
const LARGE_CONTEXT = 32_768;

export function planSizing(settings: Settings, host: HostFacts): SizingResult {
  const warnings = cpuWarnings(host);
  const hostBytes = host.memory.totalBytes;
  const smallest = AUTO_CONTEXT_STEPS.at(-1) as number;
  if (fixedBytes(smallest) > hostBytes) {
    const need = memoryBudget(hostBytes, smallest, 0);
    return {
      ok: false,
      warnings,
      errors: [
        {
          variable: 'MEMORY',
          message: `this VM has ${formatBytes(hostBytes, 'memory')} of RAM, but ${MODEL.displayName} needs at least ${formatBytes(need.totalBytes, 'memory')} even with an ${smallest}-token context (${describeParts(need)}). Give the VM MEMORY=32768 (32 GB) or more in its template.`,
        },
      ],
    };
  }
  const threads = settings.modelThreads === 'auto' ? host.cpu.physicalCores : settings.modelThreads;
  if (settings.modelThreads !== 'auto' && threads > host.cpu.logicalCpus) {
    warnings.push(
      `${DECLARATIONS.modelThreads.name}=${threads} is more than the ${host.cpu.logicalCpus} vCPUs of this VM; oversubscribed threads slow inference. Use auto (${host.cpu.physicalCores}).`,
    );
  }
  const rate = estimatedPrefillRate(host, threads);
  let contextSize: number;
  if (settings.modelContext === 'auto') {
    contextSize = AUTO_CONTEXT_STEPS.find((step) => fixedBytes(step) <= hostBytes) as number;
  } else {
    contextSize = settings.modelContext;
    if (fixedBytes(contextSize) > hostBytes) {
      const need = memoryBudget(hostBytes, contextSize, 0);
      return {
        ok: false,
        warnings,
        errors: [
          {
            variable: DECLARATIONS.modelContext.name,
            message: `"${contextSize}" does not fit: it needs ${formatBytes(need.totalBytes, 'memory')} (${describeParts(need)}), but this VM has ${formatBytes(hostBytes, 'memory')} of RAM. The largest context that fits is ${largestFittingContext(hostBytes)} tokens; use that, auto, or give the VM more MEMORY.`,
          },
        ],
      };
    }
    if (contextSize > LARGE_CONTEXT) {
      const minutes = Math.ceil(contextSize / rate / 60);
      warnings.push(
        `${DECLARATIONS.modelContext.name}=${contextSize}: a prompt that fills this context takes about ${minutes} minutes to process cold on this CPU (about ${Math.round(rate)} tokens/s estimated); later turns reuse the prompt cache.`,
      );
    }
    if (contextSize < CLINE_COMFORTABLE_CONTEXT) {
      warnings.push(
        `${DECLARATIONS.modelContext.name}=${contextSize} is small for Cline, whose system prompt alone is 10–20k tokens; use at least ${CLINE_COMFORTABLE_CONTEXT}.`,
      );
    }
  }
  const cacheMib = promptCacheMib(hostBytes, contextSize);
  const memory = memoryBudget(hostBytes, contextSize, cacheMib);
  const flags = Object.entries(host.cpu.flags)
    .filter(([, present]) => present)
    .map(([flag]) => flag);
  return {
    ok: true,
    warnings,
    sizing: {
      threads,
      contextSize,
      kvCacheBytes: KV_BYTES_PER_TOKEN * contextSize,
      promptCacheMib: cacheMib,
      memory,
      prefillTokensPerSecond: rate,
      cpuFlags: flags,
    },
  };
}

function describeParts(budget: MemoryBudget): string {
  return budget.parts
    .filter((part) => part.bytes > 0)
    .map((part) => `${part.name} ${formatBytes(part.bytes, 'memory')}`)
    .join(' + ');
}

function cpuWarnings(host: HostFacts): string[] {
  const warnings: string[] = [];
  if (!host.cpu.flags.avx2) {
    warnings.push(
      'this VM\'s CPU model hides AVX2; set CPU_MODEL=[MODEL="host-passthrough"] in the VM template, inference will be ~20x slower',
    );
  }
  if (host.cpu.physicalCores < MIN_RECOMMENDED_CORES) {
    warnings.push(
      `this VM has ${host.cpu.physicalCores} physical cores; Devstral Small 2 needs at least ${MIN_RECOMMENDED_CORES} for usable speed (16 recommended): set VCPU=16 and CPU=16 in the VM template.`,
    );
  }
  return warnings;
}
