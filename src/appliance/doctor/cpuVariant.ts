/**
 * Which llama.cpp CPU build LocalAI's backend loaded, from LocalAI's log. Up to LocalAI 4.5 the backend's run.sh
 * (run with `set -x`) picks one of llama-cpp-avx512, -avx2, -avx or -fallback from /proc/cpuinfo; from 4.6 one
 * llama-cpp-cpu-all binary lets ggml load the best libggml-cpu-<arch>.so and logs
 * "load_backend: loaded CPU backend from …/libggml-cpu-haswell.so" (ggml-backend-reg.cpp). Pure.
 */

export interface CpuVariant {
  readonly name: string;
  /** Whether the build uses AVX2 kernels (the ones Devstral needs for usable speed). */
  readonly avx2: boolean;
  /** The log line it was read from. */
  readonly line: string;
}

/** ggml CPU variants without AVX2 (x64 and sse42 are SSE only; sandybridge is AVX without AVX2). */
const WITHOUT_AVX2 = new Set(['fallback', 'avx', 'x64', 'sse42', 'sandybridge']);

export function cpuVariantFromLog(log: string | null): CpuVariant | null {
  if (log === null) return null;
  let found: CpuVariant | null = null;
  for (const line of log.split('\n')) {
    const ggml = /libggml-cpu-([a-z0-9_]+)\.so/i.exec(line);
    const runner = /\bllama-cpp-(avx512|avx2|avx|fallback)\b/.exec(line);
    const name = ggml?.[1] ?? runner?.[1];
    if (name !== undefined) found = { name, avx2: !WITHOUT_AVX2.has(name.toLowerCase()), line: line.trim() };
  }
  return found;
}
