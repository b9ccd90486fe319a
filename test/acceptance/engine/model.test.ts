/**
 * The generated Devstral-shaped models (tools/engine/make_model.py). Their answers are noise; tokens, timings and
 * caching are real; token counts follow the borrowed tokenizer (llama-bpe), and Devstral's markers are plain text
 * in it, not control tokens. Needs `make engine` (gguf-py and the vocab come from its cache).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileSha256, MODEL_SIZES, readModelStamp } from '../../../tools/engine/cache.ts';
import { generateModel } from '../../../tools/engine/engine.ts';
import { type Gguf, readGguf } from '../../../tools/engine/gguf.ts';
import { locate, locateModel } from '../../../tools/engine/server.ts';

const scratch = mkdtempSync(join(tmpdir(), 'engine-model-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const { engine } = locate('small');
const Q4_K = 12;

describe('the small model', () => {
  test('is the same bytes every time it is generated, and the same as the cached one', () => {
    const a = join(scratch, 'a.gguf');
    const b = join(scratch, 'b.gguf');
    generateModel(engine, MODEL_SIZES.small, a);
    generateModel(engine, MODEL_SIZES.small, b);
    const sha = fileSha256(a);
    assert.equal(fileSha256(b), sha);
    assert.equal(readModelStamp(locateModel('small')).sha256, sha);
  });
});

for (const size of ['small', 'slow'] as const) {
  describe(`the ${size} model's metadata`, () => {
    const params = MODEL_SIZES[size];
    const gguf: Gguf = readGguf(locateModel(size).file);
    const meta = (key: string) => gguf.metadata.get(key);

    test("has Devstral Small 2's attention geometry: llama, GQA 4:1, head dimension 128", () => {
      assert.equal(meta('general.architecture'), 'llama');
      const heads = meta('llama.attention.head_count') as number;
      const kvHeads = meta('llama.attention.head_count_kv') as number;
      assert.equal(heads / kvHeads, 4);
      assert.equal(meta('llama.attention.key_length'), 128);
      assert.equal(meta('llama.attention.value_length'), 128);
      assert.equal(meta('llama.embedding_length'), params.embedding);
      assert.equal(meta('llama.block_count'), params.layers);
      assert.equal(meta('llama.context_length'), 262_144);
      const k = gguf.tensors.find((t) => t.name === 'blk.0.attn_k.weight');
      const q = gguf.tensors.find((t) => t.name === 'blk.0.attn_q.weight');
      assert.deepEqual(k?.shape, [params.embedding, kvHeads * 128]);
      assert.deepEqual(q?.shape, [params.embedding, heads * 128]);
      assert.equal(q?.type, Q4_K, 'Q4_K weights, as the appliance serves Q4_K_M');
    });

    test("carries every tokenizer key of llama.cpp's llama-bpe vocab GGUF unchanged", () => {
      const vocab = readGguf(engine.vocab);
      const keys = [...vocab.metadata.keys()].filter((k) => k.startsWith('tokenizer.'));
      assert.ok(keys.includes('tokenizer.ggml.tokens') && keys.includes('tokenizer.ggml.merges'));
      for (const key of keys) assert.deepEqual(meta(key), vocab.metadata.get(key), key);
      const ours = [...gguf.metadata.keys()].filter((k) => k.startsWith('tokenizer.') && !keys.includes(k));
      assert.deepEqual(ours.sort(), [
        'tokenizer.chat_template',
        'tokenizer.ggml.add_bos_token',
        'tokenizer.ggml.add_eos_token',
      ]);
      const tokens = meta('tokenizer.ggml.tokens') as string[];
      assert.equal(gguf.tensors.find((t) => t.name === 'token_embd.weight')?.shape[1], tokens.length);
      assert.ok(!tokens.includes('[TOOL_CALLS]'), "Devstral's markers are plain text here, not tokens");
    });

    test("has a chat template in Devstral's format that selects llama.cpp's Ministral/Devstral handler", () => {
      const template = meta('tokenizer.chat_template') as string;
      for (const marker of [
        '[SYSTEM_PROMPT]',
        '[/SYSTEM_PROMPT]',
        '[AVAILABLE_TOOLS]',
        '[INST]',
        '[/INST]',
      ]) {
        assert.ok(template.includes(marker), marker);
      }
      for (const marker of ['[TOOL_CALLS]', '[ARGS]', '[TOOL_RESULTS]', '[/TOOL_RESULTS]', 'eos_token']) {
        assert.ok(template.includes(marker), marker);
      }
      assert.ok(
        !template.includes('[CALL_ID]'),
        'no [CALL_ID]: that would select the Mistral Small 3.2 path',
      );
    });
  });
}
