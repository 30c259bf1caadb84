#!/usr/bin/env python3
"""Builds tests/fixtures/models/tiny-qwen2-causal: a tiny random Qwen2 causal LM
in ONNX, shaped like the Hugging Face export of mxbai-rerank-*-v2, with golden
reranker scores from an independent numpy forward pass.

    python3 -m venv /tmp/qvenv
    /tmp/qvenv/bin/pip install onnx numpy onnxruntime==1.32.0 tokenizers
    /tmp/qvenv/bin/python scripts/make-tiny-qwen2-causal.py [SHARED_QWEN_DIR]

SHARED_QWEN_DIR (default ../shared/models/tiny-qwen2-rerank) supplies the real
Qwen BPE tokenizer.json and tokenizer_config.json, which are copied as they are.

What is written:
- onnx/model.onnx: inputs input_ids, attention_mask, position_ids (int64,
  [batch, seq]); output logits [batch, seq, vocab] over the real Qwen vocabulary
  size (151936). Two decoder layers: RMSNorm, q/k/v projections with bias,
  rotary embeddings from position_ids, grouped-query attention (4 query heads,
  2 key/value heads) under a causal + padding mask, o_proj, RMSNorm, SwiGLU
  MLP; final RMSNorm; lm_head tied to the token embedding, as in Qwen2.5-0.5B.
- onnx/model_with_past.onnx: the same decoder exported with a key/value cache
  (past_key_values.N.key/value inputs, present.N.* outputs), as
  `--task text-generation-with-past` would export it. Crumb must refuse it by
  name; it is checked here to agree with model.onnx.
- expected_logits.json: the (query, document) pairs, each pair's prompt token
  ids (mixedbread's v2 prompt, built as crates/engine/src/models/prompt.rs
  builds it), and logit("1") - logit("0") at the last position, computed by the
  numpy reference on one left-padded batch of all pairs.

Size: a dense [151936, 16] float32 embedding alone would be 9.7 MB, so the
embedding is stored as two small random tables and expanded inside the graph,
E[v] = A[v % P] + B[v // P] (P = 390). ONNX Runtime folds that expansion into
a dense [vocab, hidden] constant when the session opens; from there on the graph
is the ordinary export (Gather for the embedding, MatMul for the lm_head). The
numpy reference expands the same tables into a dense matrix first.

The weights come from a fixed seed, so a rerun writes byte-identical files.
"""

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from tokenizers import Tokenizer

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "tests/fixtures/models/tiny-qwen2-causal"
SHARED = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO.parent / "shared/models/tiny-qwen2-rerank"

SEED = 20240610
VOCAB = 151936  # Qwen2/2.5 embedding rows (the tokenizer itself has 151665 ids)
HIDDEN = 16
HEADS = 4
KV_HEADS = 2
HEAD_DIM = HIDDEN // HEADS
INTERMEDIATE = 32
LAYERS = 2
EPS = 1e-6
ROPE_THETA = 1_000_000.0
FACTOR = 390  # FACTOR**2 >= VOCAB
MASKED = -1e9  # added to the scores of keys a query may not see
PAD = 151643  # <|endoftext|>, the pad_token of tokenizer_config.json
OPSET = 17

# mixedbread's v2 prompt, as in crates/engine/src/models/prompt.rs.
PREFIX = ("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful "
          "assistant.<|im_end|>\n<|im_start|>user\n")
SUFFIX = "<|im_end|>\n<|im_start|>assistant\n"
TASK = ("You are a search relevance expert who evaluates how well documents match search "
        "queries. For each query-document pair, carefully analyze the semantic relationship "
        "between them, then provide your binary relevance judgment (0 for not relevant, 1 for "
        "relevant).\nRelevance:")
SEP = "\n"

# Three documents of different lengths share the first query, so the engine
# can score them in one left-padded batch.
PAIRS = [
    ("what is panda?", "The giant panda is a bear species endemic to China."),
    ("what is panda?", "Pandas"),
    ("what is panda?",
     "The giant panda (Ailuropoda melanoleuca) lives in a few mountain ranges in central "
     "China, mainly in Sichuan. It eats bamboo almost exclusively, and although it belongs "
     "to the order Carnivora its diet is 99% plant matter. 大熊猫是中国特有的熊科动物。"),
    ("rust", "Rust is a systems programming language."),
    ("wie backe ich Brot?", "Mehl, Wasser, Salz und Hefe mischen, kneten, gehen lassen und "
                            "bei 230 °C backen."),
]


# ---------------------------------------------------------------- weights

def make_weights():
    rng = np.random.default_rng(SEED)

    def normal(shape, std):
        return (rng.standard_normal(shape) * std).astype(np.float32)

    w = {
        "embed_a": normal((FACTOR, HIDDEN), 0.5),
        "embed_b": normal((FACTOR, HIDDEN), 0.5),
        "norm": (1.0 + normal((HIDDEN,), 0.1)).astype(np.float32),
    }
    for l in range(LAYERS):
        p = f"layers.{l}."
        w[p + "input_layernorm"] = (1.0 + normal((HIDDEN,), 0.1)).astype(np.float32)
        w[p + "post_attention_layernorm"] = (1.0 + normal((HIDDEN,), 0.1)).astype(np.float32)
        # torch Linear layout: [out, in]
        w[p + "q_proj.weight"] = normal((HEADS * HEAD_DIM, HIDDEN), 0.5)
        w[p + "q_proj.bias"] = normal((HEADS * HEAD_DIM,), 0.2)
        w[p + "k_proj.weight"] = normal((KV_HEADS * HEAD_DIM, HIDDEN), 0.5)
        w[p + "k_proj.bias"] = normal((KV_HEADS * HEAD_DIM,), 0.2)
        w[p + "v_proj.weight"] = normal((KV_HEADS * HEAD_DIM, HIDDEN), 0.5)
        w[p + "v_proj.bias"] = normal((KV_HEADS * HEAD_DIM,), 0.2)
        w[p + "o_proj.weight"] = normal((HIDDEN, HEADS * HEAD_DIM), 0.3)
        w[p + "gate_proj.weight"] = normal((INTERMEDIATE, HIDDEN), 0.3)
        w[p + "up_proj.weight"] = normal((INTERMEDIATE, HIDDEN), 0.3)
        w[p + "down_proj.weight"] = normal((HIDDEN, INTERMEDIATE), 0.2)
    return w


def dense_embedding(w):
    v = np.arange(VOCAB)
    return w["embed_a"][v % FACTOR] + w["embed_b"][v // FACTOR]


# ---------------------------------------------------------------- ONNX graph

class Graph:
    def __init__(self, weights):
        self.nodes, self.inits, self.n = [], [], 0
        for name, arr in weights.items():
            self.inits.append(numpy_helper.from_array(arr, name))

    def const(self, value, dtype=np.int64):
        self.n += 1
        name = f"const_{self.n}"
        self.inits.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def op(self, op_type, *inputs, out=None, **attrs):
        self.n += 1
        out = out or f"{op_type.lower()}_{self.n}"
        self.nodes.append(helper.make_node(op_type, list(inputs), [out], **attrs))
        return out


def rms_norm(g, x, weight):
    var = g.op("ReduceMean", g.op("Mul", x, x), axes=[-1], keepdims=1)
    inv = g.op("Reciprocal", g.op("Sqrt", g.op("Add", var, g.const(EPS, np.float32))))
    return g.op("Mul", g.op("Mul", x, inv), weight)


def linear(g, x, weight_name, bias_name=None):
    y = g.op("MatMul", x, g.op("Transpose", weight_name, perm=[1, 0]))
    return g.op("Add", y, bias_name) if bias_name else y


def heads(g, x, n):
    """[b, s, n*d] -> [b, n, s, d]"""
    return g.op("Transpose", g.op("Reshape", x, g.const([0, 0, n, HEAD_DIM])), perm=[0, 2, 1, 3])


def rope(g, x, cos, sin):
    half = HEAD_DIM // 2
    x1 = g.op("Slice", x, g.const([0]), g.const([half]), g.const([-1]))
    x2 = g.op("Slice", x, g.const([half]), g.const([HEAD_DIM]), g.const([-1]))
    rotated = g.op("Concat", g.op("Neg", x2), x1, axis=-1)
    return g.op("Add", g.op("Mul", x, cos), g.op("Mul", rotated, sin))


def repeat_kv(g, x):
    """[b, kv, t, d] -> [b, heads, t, d], query head h reading kv head h // rep."""
    rep = HEADS // KV_HEADS
    x = g.op("Expand", g.op("Unsqueeze", x, g.const([2])), g.const([1, 1, rep, 1, 1]))
    return g.op("Reshape", x, g.const([0, HEADS, -1, HEAD_DIM]))


def build(weights, with_past):
    g = Graph(weights)
    batch, seq = "batch", "sequence"
    total = "past_sequence + sequence" if with_past else seq
    inputs = [
        helper.make_tensor_value_info("input_ids", TensorProto.INT64, [batch, seq]),
        helper.make_tensor_value_info("attention_mask", TensorProto.INT64, [batch, total]),
        helper.make_tensor_value_info("position_ids", TensorProto.INT64, [batch, seq]),
    ]
    outputs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [batch, seq, VOCAB])]
    if with_past:
        for l in range(LAYERS):
            for kv in ("key", "value"):
                inputs.append(helper.make_tensor_value_info(
                    f"past_key_values.{l}.{kv}", TensorProto.FLOAT,
                    [batch, KV_HEADS, "past_sequence", HEAD_DIM]))
                outputs.append(helper.make_tensor_value_info(
                    f"present.{l}.{kv}", TensorProto.FLOAT,
                    [batch, KV_HEADS, total, HEAD_DIM]))

    # The dense embedding, E[v] = A[v % P] + B[v // P]: constant, folded at load.
    vocab = g.op("Range", g.const(0), g.const(VOCAB), g.const(1))
    embed = g.op("Add",
                 g.op("Gather", "embed_a", g.op("Mod", vocab, g.const(FACTOR))),
                 g.op("Gather", "embed_b", g.op("Div", vocab, g.const(FACTOR))),
                 out="embed_tokens.weight")
    x = g.op("Gather", embed, "input_ids")

    # Rotary tables from position_ids: [b, 1, s, d].
    inv_freq = 1.0 / ROPE_THETA ** (np.arange(0, HEAD_DIM, 2) / HEAD_DIM)
    pos = g.op("Unsqueeze", g.op("Cast", "position_ids", to=TensorProto.FLOAT), g.const([-1]))
    freqs = g.op("Mul", pos, g.const(inv_freq, np.float32))
    angles = g.op("Unsqueeze", g.op("Concat", freqs, freqs, axis=-1), g.const([1]))
    cos, sin = g.op("Cos", angles), g.op("Sin", angles)

    # Additive mask [b, 1, s, total]: key j is visible to query i (absolute
    # position past + i) when j <= past + i and attention_mask[j] == 1.
    seq_len = g.op("Gather", g.op("Shape", "input_ids"), g.const(1))
    total_len = g.op("Gather", g.op("Shape", "attention_mask"), g.const(1))
    past_len = g.op("Sub", total_len, seq_len)
    q_pos = g.op("Range", past_len, total_len, g.const(1))
    k_pos = g.op("Range", g.const(0), total_len, g.const(1))
    causal = g.op("LessOrEqual", g.op("Unsqueeze", k_pos, g.const([0])),
                  g.op("Unsqueeze", q_pos, g.const([1])))
    keep = g.op("Cast", g.op("Unsqueeze", "attention_mask", g.const([1, 2])), to=TensorProto.BOOL)
    visible = g.op("And", keep, causal)
    bias = g.op("Where", visible, g.const(0.0, np.float32), g.const(MASKED, np.float32))

    scale = g.const(1.0 / np.sqrt(HEAD_DIM), np.float32)
    for l in range(LAYERS):
        p = f"layers.{l}."
        h = rms_norm(g, x, p + "input_layernorm")
        q = rope(g, heads(g, linear(g, h, p + "q_proj.weight", p + "q_proj.bias"), HEADS), cos, sin)
        k = rope(g, heads(g, linear(g, h, p + "k_proj.weight", p + "k_proj.bias"), KV_HEADS), cos, sin)
        v = heads(g, linear(g, h, p + "v_proj.weight", p + "v_proj.bias"), KV_HEADS)
        if with_past:
            k = g.op("Concat", f"past_key_values.{l}.key", k, axis=2, out=f"present.{l}.key")
            v = g.op("Concat", f"past_key_values.{l}.value", v, axis=2, out=f"present.{l}.value")
        scores = g.op("Mul", g.op("MatMul", q, g.op("Transpose", repeat_kv(g, k), perm=[0, 1, 3, 2])), scale)
        probs = g.op("Softmax", g.op("Add", scores, bias), axis=-1)
        ctx = g.op("MatMul", probs, repeat_kv(g, v))
        ctx = g.op("Reshape", g.op("Transpose", ctx, perm=[0, 2, 1, 3]), g.const([0, 0, HEADS * HEAD_DIM]))
        x = g.op("Add", x, linear(g, ctx, p + "o_proj.weight"))
        h = rms_norm(g, x, p + "post_attention_layernorm")
        gate = linear(g, h, p + "gate_proj.weight")
        act = g.op("Mul", gate, g.op("Sigmoid", gate))
        x = g.op("Add", x, linear(g, g.op("Mul", act, linear(g, h, p + "up_proj.weight")),
                                  p + "down_proj.weight"))
    x = rms_norm(g, x, "norm")
    g.op("MatMul", x, g.op("Transpose", embed, perm=[1, 0]), out="logits")

    graph = helper.make_graph(g.nodes, "tiny_qwen2_causal", inputs, outputs, g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="crumb scripts/make-tiny-qwen2-causal.py")
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    return model


# ---------------------------------------------------------------- numpy reference

def reference_last_logits(w, ids, mask):
    """The Qwen2 forward pass in float64, written from the equations. ids and
    mask are [b, s] (left padded); returns the last position's logits [b, vocab]."""
    f = {k: v.astype(np.float64) for k, v in w.items()}
    E = dense_embedding(w).astype(np.float64)
    b, s = ids.shape
    # Hugging Face's position ids for a padded batch.
    pos = np.cumsum(mask, axis=-1) - 1
    pos[mask == 0] = 1

    def norm(x, weight):
        return weight * x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + EPS)

    inv_freq = 1.0 / ROPE_THETA ** (np.arange(0, HEAD_DIM, 2) / HEAD_DIM)
    ang = pos[..., None] * inv_freq  # [b, s, d/2]
    ang = np.concatenate([ang, ang], axis=-1)[:, None]  # [b, 1, s, d]
    cos, sin = np.cos(ang), np.sin(ang)

    def rotate(x):
        x1, x2 = x[..., : HEAD_DIM // 2], x[..., HEAD_DIM // 2:]
        return x * cos + np.concatenate([-x2, x1], axis=-1) * sin

    visible = np.tril(np.ones((s, s), dtype=bool))[None] & (mask[:, None, :] == 1)  # [b, s, s]

    x = E[ids]
    for l in range(LAYERS):
        p = f"layers.{l}."
        h = norm(x, f[p + "input_layernorm"])
        q = h @ f[p + "q_proj.weight"].T + f[p + "q_proj.bias"]
        k = h @ f[p + "k_proj.weight"].T + f[p + "k_proj.bias"]
        v = h @ f[p + "v_proj.weight"].T + f[p + "v_proj.bias"]
        q = rotate(q.reshape(b, s, HEADS, HEAD_DIM).transpose(0, 2, 1, 3))
        k = rotate(k.reshape(b, s, KV_HEADS, HEAD_DIM).transpose(0, 2, 1, 3))
        v = v.reshape(b, s, KV_HEADS, HEAD_DIM).transpose(0, 2, 1, 3)
        out = np.empty((b, HEADS, s, HEAD_DIM))
        for head in range(HEADS):
            kv = head // (HEADS // KV_HEADS)
            scores = q[:, head] @ k[:, kv].transpose(0, 2, 1) / np.sqrt(HEAD_DIM)
            scores = np.where(visible, scores, -np.inf)
            # A padded query row sees nothing; its output is never read.
            top = np.max(scores, axis=-1, keepdims=True)
            top = np.where(np.isfinite(top), top, 0.0)
            e = np.exp(scores - top)
            den = np.sum(e, axis=-1, keepdims=True)
            out[:, head] = (e / np.where(den > 0, den, 1.0)) @ v[:, kv]
        ctx = out.transpose(0, 2, 1, 3).reshape(b, s, HEADS * HEAD_DIM)
        x = x + ctx @ f[p + "o_proj.weight"].T
        h = norm(x, f[p + "post_attention_layernorm"])
        gate = h @ f[p + "gate_proj.weight"].T
        up = h @ f[p + "up_proj.weight"].T
        x = x + (gate / (1.0 + np.exp(-gate)) * up) @ f[p + "down_proj.weight"].T
    last = norm(x[:, -1], f["norm"])
    return last @ E.T


# ---------------------------------------------------------------- prompt

def prompt_ids(tok, query, doc):
    """mixedbread's v2 prompt: each piece tokenised on its own, ids concatenated.
    The pairs here are far below the 8192-token limit, so nothing is truncated."""
    def ids(text):
        return tok.encode(text, add_special_tokens=False).ids
    return (ids(PREFIX) + ids(f"query: {query}") + ids(SEP) + ids(f"document: {doc}")
            + ids(SEP) + ids(TASK) + ids(SUFFIX))


def left_pad(seqs):
    cols = max(len(s) for s in seqs)
    ids = np.full((len(seqs), cols), PAD, dtype=np.int64)
    mask = np.zeros((len(seqs), cols), dtype=np.int64)
    for r, s in enumerate(seqs):
        ids[r, cols - len(s):] = s
        mask[r, cols - len(s):] = 1
    return ids, mask


def hf_position_ids(mask):
    pos = np.cumsum(mask, axis=-1) - 1
    pos[mask == 0] = 1
    return pos


# ---------------------------------------------------------------- main

def main():
    tok = Tokenizer.from_file(str(SHARED / "tokenizer.json"))
    yes, no = tok.token_to_id("1"), tok.token_to_id("0")
    assert (yes, no) == (16, 15), (yes, no)

    w = make_weights()
    model = build(w, with_past=False)
    with_past = build(w, with_past=True)

    (OUT / "onnx").mkdir(parents=True, exist_ok=True)
    onnx.save(model, OUT / "onnx/model.onnx")
    onnx.save(with_past, OUT / "onnx/model_with_past.onnx")
    for name in ("tokenizer_config.json",):  # tokenizer.json (11 MB) is read from ../shared by the tests
        shutil.copyfile(SHARED / name, OUT / name)
    config = {
        "architectures": ["Qwen2ForCausalLM"],
        "attention_dropout": 0.0,
        "bos_token_id": PAD,
        "eos_token_id": PAD,
        "hidden_act": "silu",
        "hidden_size": HIDDEN,
        "initializer_range": 0.02,
        "intermediate_size": INTERMEDIATE,
        "max_position_embeddings": 32768,
        "max_window_layers": LAYERS,
        "model_type": "qwen2",
        "num_attention_heads": HEADS,
        "num_hidden_layers": LAYERS,
        "num_key_value_heads": KV_HEADS,
        "rms_norm_eps": EPS,
        "rope_scaling": None,
        "rope_theta": ROPE_THETA,
        "sliding_window": None,
        "tie_word_embeddings": True,
        "torch_dtype": "float32",
        "use_cache": False,
        "use_sliding_window": False,
        "vocab_size": VOCAB,
    }
    (OUT / "config.json").write_text(json.dumps(config, indent=2) + "\n")

    seqs = [prompt_ids(tok, q, d) for q, d in PAIRS]
    ids, mask = left_pad(seqs)

    # The reference: all pairs in one left-padded batch, and each on its own.
    ref = reference_last_logits(w, ids, mask)
    scores = ref[:, yes] - ref[:, no]
    for r, s in enumerate(seqs):
        one = reference_last_logits(w, np.array([s]), np.ones((1, len(s)), dtype=np.int64))
        assert np.max(np.abs(one[0] - ref[r])) < 1e-9, "padding changed the reference"

    # ONNX Runtime on the file must agree with the reference over the whole
    # vocabulary at the last position.
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(OUT / "onnx/model.onnx"), opts, providers=["CPUExecutionProvider"])
    got = sess.run(["logits"], {"input_ids": ids, "attention_mask": mask,
                                "position_ids": hf_position_ids(mask)})[0]
    assert got.shape == (len(PAIRS), ids.shape[1], VOCAB), got.shape
    worst = np.max(np.abs(got[:, -1].astype(np.float64) - ref))
    print(f"onnxruntime vs numpy, last position, full vocabulary: max abs diff {worst:.2e}")
    assert worst < 1e-4, worst

    # The with-past export: the prompt in two steps through the cache must
    # give the one-step logits.
    past_sess = ort.InferenceSession(str(OUT / "onnx/model_with_past.onnx"), opts,
                                     providers=["CPUExecutionProvider"])
    cut = ids.shape[1] - 7
    pos = hf_position_ids(mask)
    empty = np.zeros((len(PAIRS), KV_HEADS, 0, HEAD_DIM), dtype=np.float32)
    feeds = {"input_ids": ids[:, :cut], "attention_mask": mask[:, :cut], "position_ids": pos[:, :cut]}
    for l in range(LAYERS):
        feeds[f"past_key_values.{l}.key"] = empty
        feeds[f"past_key_values.{l}.value"] = empty
    names = [o.name for o in past_sess.get_outputs()]
    first = dict(zip(names, past_sess.run(names, feeds)))
    feeds = {"input_ids": ids[:, cut:], "attention_mask": mask, "position_ids": pos[:, cut:]}
    for l in range(LAYERS):
        for kv in ("key", "value"):
            feeds[f"past_key_values.{l}.{kv}"] = first[f"present.{l}.{kv}"]
    second = past_sess.run(["logits"], feeds)[0]
    past_worst = np.max(np.abs(second[:, -1].astype(np.float64) - ref))
    print(f"with-past export in two steps vs numpy: max abs diff {past_worst:.2e}")
    assert past_worst < 1e-4, past_worst

    expected = {
        "note": "logit('1') - logit('0') at the last position of mixedbread's v2 prompt, "
                "from the float64 numpy reference in scripts/make-tiny-qwen2-causal.py "
                "(all pairs in one left-padded batch; each pair alone agrees to 1e-9)",
        "yes_id": yes,
        "no_id": no,
        "pairs": [list(p) for p in PAIRS],
        "input_ids": seqs,
        "logits": [float(x) for x in scores],
    }
    (OUT / "expected_logits.json").write_text(json.dumps(expected, ensure_ascii=False) + "\n")
    for p, s, x in zip(PAIRS, seqs, scores):
        print(f"{len(s):4d} tokens  {x:+.6f}  {p[0]!r} / {p[1][:40]!r}")
    for f in sorted(OUT.rglob("*")):
        if f.is_file():
            print(f"{f.stat().st_size:>10,}  {f.relative_to(REPO)}")


if __name__ == "__main__":
    main()
