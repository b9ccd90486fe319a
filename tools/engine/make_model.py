#!/usr/bin/env python3
"""Writes a Devstral-shaped GGUF with seeded random weights, for tests only (never shipped).

    PYTHONPATH=<engine cache>/gguf-py python3 make_model.py --vocab ggml-vocab-llama-bpe.gguf \
        --params '{"name": "small", "embedding": 256, ...}' --out model.gguf

Answers are noise; tokens, timings and caching are real. Token counts follow the borrowed tokenizer (llama-bpe,
from llama.cpp's models/ggml-vocab-llama-bpe.gguf), and Devstral's markers ([SYSTEM_PROMPT], [INST], [TOOL_CALLS],
[ARGS], ...) are plain text in it, not control tokens.

What is Devstral Small 2 about it:
  - llama architecture, grouped-query attention 4:1, head dimension 128 (query width != embedding width, as in
    Mistral Small 3.x), rope theta 1e9, RMS norm eps 1e-5, 262,144 tokens of trained context in the metadata;
  - Q4_K weights (the appliance serves Q4_K_M), so prefill runs the same CPU kernels; norms in F32; the output
    projection is tied to the token embedding;
  - a chat template written from Devstral Small 2's format, containing [SYSTEM_PROMPT], [TOOL_CALLS] and [ARGS]
    and no [CALL_ID], which is what makes llama.cpp's common/chat.cpp choose its Ministral/Magistral handler
    (common_chat_params_init_ministral_3), the one real Devstral Small 2 GGUFs get.
What is not: width, depth and the vocabulary (Tekken's 131k tokens are replaced by llama-bpe's 128k, the closest
byte-level BPE in llama.cpp's tree).

Deterministic: the bytes depend only on the parameters, this script, gguf-py and the vocab file. Random bytes come
from numpy's PCG64 bit generator (raw output, no distribution code that could change between numpy versions).
"""
from __future__ import annotations

import argparse
import json
import math
import sys

import numpy as np

import gguf

# Devstral Small 2's conversation format. The system prompt first, tools right after it, then the turns; an
# assistant's tool calls are [TOOL_CALLS]name[ARGS]{json} each, the message closed by the end-of-sequence token.
# llama.cpp's Ministral handler hands system and assistant contents over as lists of {type: text|thinking} blocks,
# clients may send user contents as lists of text parts: render() accepts a string or such a list.
CHAT_TEMPLATE = r"""{#- Devstral-shaped test template (slm-copilot tools/engine/make_model.py). -#}
{%- macro render(content) -%}
    {%- if content is string -%}
        {{- content -}}
    {%- elif content is not none -%}
        {%- for block in content -%}
            {%- if block['type'] == 'text' -%}
                {{- block['text'] -}}
            {%- elif block['type'] == 'thinking' -%}
                {{- '[THINK]' + block['thinking'] + '[/THINK]' -}}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro -%}
{{- bos_token -}}
{%- if messages[0]['role'] == 'system' -%}
    {{- '[SYSTEM_PROMPT]' + render(messages[0]['content']) + '[/SYSTEM_PROMPT]' -}}
    {%- set loop_messages = messages[1:] -%}
{%- else -%}
    {%- set loop_messages = messages -%}
{%- endif -%}
{%- if tools is defined and tools is not none and tools | length > 0 -%}
    {{- '[AVAILABLE_TOOLS]' + (tools | tojson) + '[/AVAILABLE_TOOLS]' -}}
{%- endif -%}
{%- for message in loop_messages -%}
    {%- if message['role'] == 'user' -%}
        {{- '[INST]' + render(message['content']) + '[/INST]' -}}
    {%- elif message['role'] == 'assistant' -%}
        {{- render(message['content']) -}}
        {%- if message['tool_calls'] is defined and message['tool_calls'] is not none -%}
            {%- for call in message['tool_calls'] -%}
                {%- set arguments = call['function']['arguments'] -%}
                {{- '[TOOL_CALLS]' + call['function']['name'] + '[ARGS]' -}}
                {%- if arguments is string -%}{{- arguments -}}{%- else -%}{{- arguments | tojson -}}{%- endif -%}
            {%- endfor -%}
        {%- endif -%}
        {{- eos_token -}}
    {%- elif message['role'] == 'tool' -%}
        {{- '[TOOL_RESULTS]' + render(message['content']) + '[/TOOL_RESULTS]' -}}
    {%- endif -%}
{%- endfor -%}
"""

QK_K = 256
Q4_K_BYTES = 144  # d (f16), dmin (f16), 12 bytes of 6-bit scales and mins, 128 bytes of 4-bit quants


def q4_k(rng: np.random.Generator, rows: int, cols: int) -> np.ndarray:
    """Random Q4_K blocks for a rows x cols matrix (cols = input width, a multiple of 256).

    Quants and 6-bit scales/mins are random bytes (every value is valid); d and dmin are set so that the weights
    average zero and spread about 1/sqrt(cols), the usual initialisation scale, keeping activations finite.
    """
    if cols % QK_K:
        raise SystemExit(f"make_model.py: width {cols} is not a multiple of {QK_K} (Q4_K)")
    blocks = rows * (cols // QK_K)
    raw = rng.bit_generator.random_raw(blocks * Q4_K_BYTES // 8).astype("<u8")
    data = raw.view(np.uint8).reshape(blocks, Q4_K_BYTES)
    # w = d*scale*q - dmin*min with q in 0..15 and scale, min in 0..63: E[scale*q] = 31.5*7.5, std(scale*q) ~ 218,
    # E[min] = 31.5; dmin = 7.5*d centres the weights, and the spread is ~258*d.
    d = np.float16(1.0 / (258.0 * math.sqrt(cols)))
    dmin = np.float16(7.5 * float(d))
    data[:, 0:2] = np.frombuffer(d.astype("<f2").tobytes(), dtype=np.uint8)
    data[:, 2:4] = np.frombuffer(dmin.astype("<f2").tobytes(), dtype=np.uint8)
    return data.reshape(rows, (cols // QK_K) * Q4_K_BYTES)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--vocab", required=True, help="vocab-only GGUF whose tokenizer.* keys are copied")
    ap.add_argument("--params", required=True, help="JSON: name, embedding, layers, heads, kvHeads, headDim, "
                    "feedForward, contextLength, seed")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    p = json.loads(args.params)

    n_embd, n_layer, n_head, n_head_kv = p["embedding"], p["layers"], p["heads"], p["kvHeads"]
    head_dim, n_ff = p["headDim"], p["feedForward"]
    if n_head % n_head_kv:
        raise SystemExit("make_model.py: heads must be a multiple of kvHeads")

    vocab = gguf.GGUFReader(args.vocab)
    tokens = vocab.fields["tokenizer.ggml.tokens"]
    n_vocab = len(tokens.data)

    w = gguf.GGUFWriter(args.out, "llama")
    w.add_name(f"devstral-shaped-{p['name']} (random weights: answers are noise; tokens, timings and caching are real)")
    w.add_description(
        "slm-copilot test model: Devstral Small 2's attention geometry (GQA 4:1, head dim 128) and chat format, "
        "seeded random Q4_K weights, llama-bpe tokenizer (Devstral's markers are plain text in it, not control "
        "tokens). Never shipped."
    )
    w.add_file_type(gguf.LlamaFileType.MOSTLY_Q4_K_S)
    w.add_context_length(p["contextLength"])
    w.add_embedding_length(n_embd)
    w.add_block_count(n_layer)
    w.add_feed_forward_length(n_ff)
    w.add_head_count(n_head)
    w.add_head_count_kv(n_head_kv)
    w.add_key_length(head_dim)
    w.add_value_length(head_dim)
    w.add_rope_dimension_count(head_dim)
    w.add_rope_freq_base(1_000_000_000.0)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_vocab_size(n_vocab)

    # Every tokenizer.* key of the vocab GGUF, as it is there.
    for key, field in vocab.fields.items():
        if not key.startswith("tokenizer."):
            continue
        vtype = field.types[0]
        if vtype == gguf.GGUFValueType.ARRAY:
            w.add_key_value(key, field.contents(), vtype, sub_type=field.types[-1])
        else:
            w.add_key_value(key, field.contents(), vtype)
    # Ours: the template, and no automatic BOS (the template writes bos_token itself, as Devstral's does).
    w.add_chat_template(CHAT_TEMPLATE)
    w.add_add_bos_token(False)
    w.add_add_eos_token(False)

    rng = np.random.Generator(np.random.PCG64(p["seed"]))
    q_width, kv_width = n_head * head_dim, n_head_kv * head_dim
    F32, Q4K = gguf.GGMLQuantizationType.F32, gguf.GGMLQuantizationType.Q4_K

    # (name, numpy shape: rows = output width, cols = input width, type); llama.cpp reads ne = [cols, rows].
    plan: list[tuple[str, tuple[int, int], gguf.GGMLQuantizationType]] = [("token_embd.weight", (n_vocab, n_embd), Q4K)]
    for i in range(n_layer):
        plan += [
            (f"blk.{i}.attn_norm.weight", (1, n_embd), F32),
            (f"blk.{i}.attn_q.weight", (q_width, n_embd), Q4K),
            (f"blk.{i}.attn_k.weight", (kv_width, n_embd), Q4K),
            (f"blk.{i}.attn_v.weight", (kv_width, n_embd), Q4K),
            (f"blk.{i}.attn_output.weight", (n_embd, q_width), Q4K),
            (f"blk.{i}.ffn_norm.weight", (1, n_embd), F32),
            (f"blk.{i}.ffn_gate.weight", (n_ff, n_embd), Q4K),
            (f"blk.{i}.ffn_up.weight", (n_ff, n_embd), Q4K),
            (f"blk.{i}.ffn_down.weight", (n_embd, n_ff), Q4K),
        ]
    plan.append(("output_norm.weight", (1, n_embd), F32))

    for name, (rows, cols), kind in plan:
        if kind == F32:
            w.add_tensor_info(name, (cols,), np.dtype(np.float32), cols * 4)
        else:
            nbytes = rows * (cols // QK_K) * Q4_K_BYTES
            w.add_tensor_info(name, (rows, (cols // QK_K) * Q4_K_BYTES), np.dtype(np.uint8), nbytes, raw_dtype=kind)

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_ti_data_to_file()
    for name, (rows, cols), kind in plan:
        if kind == F32:
            w.write_tensor_data(np.ones(cols, dtype="<f4"))
        else:
            w.write_tensor_data(q4_k(rng, rows, cols))
    w.close()
    print(f"make_model.py: wrote {args.out} ({p['name']}: {n_layer} layers, width {n_embd}, {n_head}/{n_head_kv} heads "
          f"x {head_dim}, ffn {n_ff}, vocab {n_vocab})", file=sys.stderr)


if __name__ == "__main__":
    main()
