/**
 * The model baked into the image and the engine serving it. Geometry from the model card / GGUF
 * metadata; the lock file pins the exact bytes.
 */
export const MODEL = {
  /** What clients send as `model` and what /v1/models lists; keeps "devstral" so Cline picks its Devstral prompt. */
  id: 'devstral-small-2',
  displayName: 'Devstral Small 2 24B Instruct 2512 (Q4_K_M)',
  /** File name inside LocalAI's models directory (relative: LocalAI rejects absolute paths). */
  file: 'Devstral-Small-2-24B-Instruct-2512-Q4_K_M.gguf',
  weightsBytes: 14_330_000_000,
  layers: 40,
  attentionHeads: 32,
  kvHeads: 8,
  headDim: 128,
  vocabulary: 131_072,
  trainedContext: 262_144,
  /** Mistral's recommended sampling temperature for Devstral. */
  temperature: 0.15,
} as const;

/**
 * LocalAI release the configuration is written for. v4.9.0: native tool-call parsing (needs ≥ 4.1.1),
 * prompt-cache defaults of 4.3, include_usage from 4.2.5, /readyz 503 while preloading from 4.8.
 */
export const LOCALAI_VERSION = 'v4.9.0';

/** llama.cpp micro-batch (LocalAI sets n_ubatch = n_batch = `batch`, default 512). */
export const MICRO_BATCH = 512;

/**
 * The one request-body limit, in MiB, for nginx (client_max_body_size) and LocalAI (LOCALAI_UPLOAD_LIMIT,
 * whose Echo BodyLimit also caps chat bodies). Long Cline histories with pasted files exceed LocalAI's 15 MB default.
 */
export const REQUEST_BODY_LIMIT_MIB = 64;
