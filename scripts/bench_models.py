#!/usr/bin/env python3
"""Reference side of the model benchmarks: the same ONNX file, the same inputs and the
same thread count through Python onnxruntime + HF tokenizers, for comparison with Crumb.

  bench_models.py passages CORPUS.jsonl OUT N          build N passages of >=256 tokens
  bench_models.py embed MODEL_DIR PASSAGES fp32|int8 THREADS BATCH ROUNDS [MAX_TOKENS]
  bench_models.py rerank MODEL_DIR PASSAGES THREADS TOP ROUNDS [MAX_TOKENS]
  bench_models.py rerank-pairs MODEL_DIR PAIRS.jsonl THREADS ROUNDS   the pairs Crumb's search scores
  bench_models.py sgemm THREADS                        attainable fp32 FLOP/s (numpy sgemm)
  bench_models.py igemm THREADS                        attainable u8*s8 int8 OP/s (onnxruntime MatMulInteger)
"""
import json, os, sys, time


def passages(corpus, out, n):
    rows = []
    with open(corpus) as f:
        for line in f:
            d = json.loads(line)
            text = (d.get("title", "") + ". " + d.get("text", "")).replace("\n", " ").strip()
            if len(text) < 400:
                continue
            # Repeat short abstracts so every passage truncates at exactly 256 tokens.
            while len(text.split()) < 400:
                text = text + " " + text
            rows.append(text)
            if len(rows) >= n:
                break
    with open(out, "w") as f:
        f.write("\n".join(rows) + "\n")


def session(path, threads):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def embed(model_dir, pfile, variant, threads, batch, rounds, max_tokens=256):
    import numpy as np
    from tokenizers import Tokenizer
    onnx = os.path.join(model_dir, "onnx", {"fp32": "model.onnx", "int8": "model_quantized.onnx"}.get(variant, variant))
    sess = session(onnx, threads)
    names = [i.name for i in sess.get_inputs()]
    tok = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(max_tokens)
    texts = [l for l in open(pfile).read().splitlines() if l.strip()]

    def run(texts):
        out = []
        encs = tok.encode_batch(texts)
        order = sorted(range(len(encs)), key=lambda i: len(encs[i].ids))
        res = [None] * len(texts)
        for s in range(0, len(order), batch):
            idx = order[s:s + batch]
            L = max(len(encs[i].ids) for i in idx)
            ids = np.zeros((len(idx), L), np.int64)
            mask = np.zeros((len(idx), L), np.int64)
            for r, i in enumerate(idx):
                e = encs[i].ids
                ids[r, :len(e)] = e
                mask[r, :len(e)] = 1
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            h = sess.run(["last_hidden_state"], {k: v for k, v in feeds.items() if k in names})[0]
            m = mask[:, :, None].astype(np.float32)
            v = (h * m).sum(1) / m.sum(1)
            v /= np.linalg.norm(v, axis=1, keepdims=True)
            for r, i in enumerate(idx):
                res[i] = v[r]
        return res

    run(texts[:batch])
    best = 1e9
    for _ in range(rounds):
        t = time.perf_counter()
        run(texts)
        best = min(best, time.perf_counter() - t)
    print(json.dumps({"impl": "python-onnxruntime", "variant": variant, "threads": threads, "batch": batch,
                      "passages": len(texts), "best_s": round(best, 4),
                      "passages_per_s": round(len(texts) / best, 2)}))


def padded_pairs(tok, query, passages):
    """(query, passage) pairs tokenised and right-padded into one batch, as a
    Python client scores them: ids, attention mask, and the real token count."""
    import numpy as np
    encs = tok.encode_batch([(query, p) for p in passages])
    L = max(len(e.ids) for e in encs)
    ids = np.zeros((len(encs), L), np.int64)
    mask = np.zeros((len(encs), L), np.int64)
    for r, e in enumerate(encs):
        ids[r, :len(e.ids)] = e.ids
        mask[r, :len(e.ids)] = 1
    return ids, mask, sum(len(e.ids) for e in encs)


def rerank(model_dir, pfile, threads, top, rounds, max_tokens=512):
    import numpy as np
    from tokenizers import Tokenizer
    onnx = os.path.join(model_dir, "onnx", "model_quantized.onnx")
    sess = session(onnx, threads)
    tok = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(max_tokens)
    texts = [l for l in open(pfile).read().splitlines() if l.strip()][:top]
    q = "What is the effect of diffusion tensor imaging on white matter development?"

    def run():
        ids, mask, _ = padded_pairs(tok, q, texts)
        return sess.run(["logits"], {"input_ids": ids, "attention_mask": mask})[0]

    run()
    ms = []
    for _ in range(rounds):
        t = time.perf_counter()
        run()
        ms.append((time.perf_counter() - t) * 1000)
    ms.sort()
    print(json.dumps({"impl": "python-onnxruntime", "threads": threads, "max_tokens": max_tokens, "pairs": len(texts), "rounds": rounds,
                      "p50_ms": round(ms[len(ms) // 2], 1), "p95_ms": round(ms[int(round((len(ms) - 1) * 0.95))], 1),
                      "min_ms": round(ms[0], 1)}))


def rerank_pairs(model_dir, pfile, threads, rounds):
    """Scores each query's pairs (written by `bench_rerank pairs`) the way a
    Python client does: one padded batch per query, the model's 512-token cap."""
    import numpy as np
    from tokenizers import Tokenizer
    onnx = os.path.join(model_dir, "onnx", "model_quantized.onnx")
    sess = session(onnx, threads)
    names = [i.name for i in sess.get_inputs()]
    tok = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(512)
    queries = [json.loads(l) for l in open(pfile) if l.strip()]

    def run(q, ps):
        ids, mask, n = padded_pairs(tok, q, ps)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        return sess.run(["logits"], {k: v for k, v in feeds.items() if k in names})[0], n

    run(queries[0]["query"], queries[0]["passages"])
    ms, tokens = [], 0
    for _ in range(rounds):
        for d in queries:
            t = time.perf_counter()
            _, n = run(d["query"], d["passages"])
            ms.append((time.perf_counter() - t) * 1000)
            tokens += n
    ms.sort()
    pct = lambda p: ms[int(round((len(ms) - 1) * p))]
    print(json.dumps({"impl": "python-onnxruntime", "threads": threads, "queries": len(queries), "rounds": rounds,
                      "p50_ms": round(pct(0.5), 1), "p95_ms": round(pct(0.95), 1),
                      "mean_ms": round(sum(ms) / len(ms), 1),
                      "real_tokens_per_query": round(tokens / len(ms), 1)}))


def igemm(threads):
    """u8 x s8 GEMM throughput of onnxruntime's MatMulInteger (the kernel the
    dynamic-int8 models run), 2*M*N*K ops per product."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper
    import onnxruntime as ort
    m, k, n = 512, 1536, 384  # a transformer FFN's shape at a 512-token batch
    a = helper.make_tensor_value_info("a", TensorProto.UINT8, [m, k])
    b = helper.make_tensor_value_info("b", TensorProto.INT8, [k, n])
    y = helper.make_tensor_value_info("y", TensorProto.INT32, [m, n])
    g = helper.make_graph([helper.make_node("MatMulInteger", ["a", "b"], ["y"])], "g", [a, b], [y])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    sess = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    av = np.random.randint(0, 255, (m, k), dtype=np.uint8)
    bv = np.random.randint(-127, 127, (k, n), dtype=np.int8)
    for _ in range(5):
        sess.run(None, {"a": av, "b": bv})
    best = 1e9
    for _ in range(7):
        t = time.perf_counter()
        for _ in range(20):
            sess.run(None, {"a": av, "b": bv})
        best = min(best, (time.perf_counter() - t) / 20)
    print(json.dumps({"probe": "onnxruntime MatMulInteger u8*s8", "threads": threads, "shape": [m, k, n],
                      "gops": round(2 * m * n * k / best / 1e9, 1)}))


def sgemm(threads):
    os.environ["OMP_NUM_THREADS"] = str(threads)
    import numpy as np
    n = 2048
    a = np.random.rand(n, n).astype(np.float32)
    b = np.random.rand(n, n).astype(np.float32)
    a @ b
    best = 1e9
    for _ in range(5):
        t = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t)
    print(json.dumps({"sgemm_threads": threads, "gflops": round(2 * n ** 3 / best / 1e9, 1)}))


if __name__ == "__main__":
    cmd, a = sys.argv[1], sys.argv[2:]
    if cmd == "passages":
        passages(a[0], a[1], int(a[2]))
    elif cmd == "embed":
        embed(a[0], a[1], a[2], int(a[3]), int(a[4]), int(a[5]), *(int(x) for x in a[6:7]))
    elif cmd == "rerank":
        rerank(a[0], a[1], int(a[2]), int(a[3]), int(a[4]), *(int(x) for x in a[5:6]))
    elif cmd == "rerank-pairs":
        rerank_pairs(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    elif cmd == "igemm":
        igemm(int(sys.argv[2]))
    elif cmd == "sgemm":
        sgemm(int(a[0]))
