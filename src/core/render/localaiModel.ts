/** LocalAI's model definition for Devstral Small 2 (LocalAI v4.9.0 field names). */
import { stringify } from 'yaml';
import { MODEL } from '../facts/model.ts';
import type { Sizing } from '../sizing/sizingPlan.ts';

export function renderLocalaiModel(sizing: Sizing): string {
  const definition = {
    name: MODEL.id,
    backend: 'llama-cpp',
    description: MODEL.displayName,
    known_usecases: ['chat'],
    context_size: sizing.contextSize,
    threads: sizing.threads,
    mmap: true,
    // mlock needs a raised RLIMIT_MEMLOCK and would pin 14 GB; the budget keeps the pages resident instead.
    mmlock: false,
    // Flash attention slows CPU prefill on some hosts, and only a quantised V cache needs it: f16 K/V, FA off.
    flash_attention: 'off',
    cache_type_k: 'f16',
    cache_type_v: 'f16',
    // Forwarded as llama.cpp's cache_prompt: later Cline turns only prefill what is new.
    prompt_cache_all: true,
    parameters: {
      model: MODEL.file,
      temperature: MODEL.temperature,
    },
    template: {
      // The GGUF's own chat template (rendered by llama.cpp with jinja), tools included.
      use_tokenizer_template: true,
    },
    options: ['use_jinja:true', 'parallel:1', `cache_ram:${sizing.promptCacheMib}`],
  };
  // YAML 1.1 quoting, so words such as off stay strings for any YAML reader.
  return `# Written by slm-copilot from the plan; changes here are overwritten at the next boot.\n${stringify(definition, { version: '1.1' })}`;
}
