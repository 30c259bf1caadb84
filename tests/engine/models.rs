//! Golden-value tests of the real model paths on real ONNX files.

use crate::support::{have, json, minilm_dir, shared_models};
use crumb_engine::models::{
    load_embedder, load_embedder_with, load_reranker, load_reranker_with, resolve_model,
    ExecutionProvider, ModelOptions, OnnxReranker, OnnxVariant, RerankKind,
};

const CPU: ExecutionProvider = ExecutionProvider::Cpu;

fn f32s(v: &serde_json::Value) -> Vec<f32> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number") as f32)
        .collect()
}

#[test]
fn minilm_embeddings_match_the_reference_to_1e4() {
    let dir = minilm_dir();
    if !have(&dir.join("onnx/model.onnx")) {
        return;
    }
    let expected = json(&dir.join("expected_embeddings.json"));
    let items = expected["items"].as_array().expect("items");
    let texts: Vec<&str> = items
        .iter()
        .map(|i| i["text"].as_str().expect("text"))
        .collect();
    let embedder = load_embedder_with(
        &dir,
        &ModelOptions::new(CPU).with_variant(OnnxVariant::Fp32),
    )
    .expect("load embedder");
    assert_eq!(embedder.dim(), 384);
    assert_eq!(embedder.provider(), "cpu");
    assert_eq!(embedder.id(), "minilm/model");
    // Batched together, so padding and length sorting are exercised too.
    let got = embedder.embed_passages(&texts).expect("embed");
    for (item, v) in items.iter().zip(&got) {
        let want = f32s(&item["embedding"]);
        let worst = want
            .iter()
            .zip(v)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        assert!(worst < 1e-4, "{:?}: max abs diff {worst}", item["text"]);
    }
    // mxbai-embed-xsmall-v1 has no query prefix, so a query embeds like a passage.
    let q = embedder.embed_query(texts[1]).expect("query");
    let diff = q
        .iter()
        .zip(&got[1])
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    assert!(diff < 1e-5);
}

#[test]
fn minilm_dynamic_int8_ranks_like_fp32_and_is_chosen_on_this_cpu() {
    let dir = minilm_dir();
    if !have(&dir.join("onnx/model_quantized.onnx")) {
        return;
    }
    let fp32 = load_embedder_with(
        &dir,
        &ModelOptions::new(CPU).with_variant(OnnxVariant::Fp32),
    )
    .expect("fp32");
    let int8 = load_embedder_with(
        &dir,
        &ModelOptions::new(CPU).with_variant(OnnxVariant::Int8),
    )
    .expect("int8");
    assert_eq!(int8.id(), "minilm/model_quantized");
    // Auto takes the dynamic-int8 file where the CPU has fast int8 (AVX2+).
    let auto = load_embedder(&dir, CPU).expect("auto");
    let expected = if crumb_engine::models::cpu_has_fast_int8() {
        "minilm/model_quantized"
    } else {
        "minilm/model"
    };
    assert_eq!(auto.id(), expected);
    // What a user notices: the same passage is found first for each query.
    let passages = [
        "The cat sleeps on the sofa all afternoon.",
        "Interest rates rose again, and the bank raised mortgage costs.",
        "Photosynthesis turns sunlight, water and carbon dioxide into sugar.",
        "The striker scored twice in the second half of the final.",
    ];
    let queries = [
        ("where does my kitten nap", 0),
        ("home loans got more expensive", 1),
        ("how plants make food from light", 2),
        ("football match goals", 3),
    ];
    for model in [&fp32, &int8] {
        let pv = model.embed_passages(&passages).expect("embed");
        for (q, want) in queries {
            let qv = model.embed_query(q).expect("query");
            let cos: Vec<f32> = pv
                .iter()
                .map(|p| p.iter().zip(&qv).map(|(a, b)| a * b).sum())
                .collect();
            let best = (0..cos.len())
                .max_by(|&a, &b| cos[a].total_cmp(&cos[b]))
                .unwrap_or(0);
            assert_eq!(best, want, "{}: {q:?} -> {cos:?}", model.id());
        }
    }
    let a = fp32.embed_passages(&passages).expect("fp32 embed");
    let b = int8.embed_passages(&passages).expect("int8 embed");
    for (x, y) in a.iter().zip(&b) {
        let cos: f32 = x.iter().zip(y).map(|(p, q)| p * q).sum();
        assert!(cos > 0.97, "int8 vs fp32 cosine {cos}");
    }
}

#[test]
fn a_truncated_passage_embeds_as_its_head_not_as_its_tail() {
    let dir = minilm_dir();
    if !have(&dir.join("onnx/model.onnx")) {
        return;
    }
    let head = "Sourdough bread needs a lively starter, flour, water and salt. ".repeat(4);
    let tail = "The quarterly earnings report showed revenue growth in Asian markets. ".repeat(8);
    let text = format!("{head}{tail}");
    let short = load_embedder_with(&dir, &ModelOptions::new(CPU).with_max_length(48))
        .expect("load with a 48-token window");
    let full = load_embedder(&dir, CPU).expect("load");
    let cos = |a: &[f32], b: &[f32]| -> f32 { a.iter().zip(b).map(|(x, y)| x * y).sum() };
    let v = short
        .embed_passages(&[text.as_str(), head.as_str(), tail.as_str()])
        .expect("embed");
    // Cut at 48 tokens, the passage is its head: the tail is never seen.
    assert!(
        cos(&v[0], &v[1]) > 0.95,
        "truncated vs head {}",
        cos(&v[0], &v[1])
    );
    assert!(
        cos(&v[0], &v[2]) < 0.5,
        "truncated vs tail {}",
        cos(&v[0], &v[2])
    );
    // With the full window the same text is about both, so it embeds
    // differently from its truncated form.
    let w = full
        .embed_passages(&[text.as_str(), tail.as_str()])
        .expect("embed");
    assert!(cos(&w[0], &w[1]) > cos(&v[0], &v[2]) + 0.2);
    assert!(cos(&w[0], &v[0]) < 0.95, "the whole text is not its head");
}

fn check_logits(folder: &str, kind: RerankKind) {
    let dir = shared_models().join(folder);
    if !have(&dir.join("onnx/model.onnx")) {
        return;
    }
    let expected = json(&dir.join("expected_logits.json"));
    let pairs = expected["pairs"].as_array().expect("pairs");
    let want = f32s(&expected["logits"]);
    let r = OnnxReranker::load(&dir, &ModelOptions::new(CPU)).expect("load reranker");
    assert_eq!(r.kind(), kind);
    // One query per call is the trait's shape; the reference scored each pair
    // in one padded batch, so also score all passages of a shared query.
    for (pair, want) in pairs.iter().zip(&want) {
        let (q, p) = (pair[0].as_str().expect("q"), pair[1].as_str().expect("p"));
        let got = crumb_engine::models::Reranker::score(&r, q, &[p]).expect("score");
        assert!(
            (got[0].logit - want).abs() < 1e-3,
            "{q:?}: {} vs {want}",
            got[0].logit
        );
        let sig = 1.0 / (1.0 + (-want).exp());
        assert!((got[0].score - sig).abs() < 1e-3);
    }
}

#[test]
fn v1_deberta_reranker_reproduces_reference_logits() {
    check_logits("tiny-deberta-v3-rerank", RerankKind::CrossEncoderV1);
}

#[test]
fn v2_qwen_reranker_reproduces_reference_logits() {
    check_logits("tiny-qwen2-rerank", RerankKind::QwenV2);
}

#[test]
fn v2_prompt_tokens_equal_the_reference_ids() {
    let dir = shared_models().join("tiny-qwen2-rerank");
    if !have(&dir.join("onnx/model.onnx")) {
        return;
    }
    let expected = json(&dir.join("expected_logits.json"));
    let pad = 151643;
    let want: Vec<u32> = expected["input_ids_0"]
        .as_array()
        .expect("ids")
        .iter()
        .map(|x| x.as_u64().expect("id") as u32)
        .skip_while(|&id| id == pad)
        .collect();
    let pair = &expected["pairs"][0];
    let r = OnnxReranker::load(&dir, &ModelOptions::new(CPU)).expect("load");
    let got = r
        .tokenize_pair(pair[0].as_str().expect("q"), pair[1].as_str().expect("p"))
        .expect("tokenize");
    assert_eq!(got, want);
}

#[test]
fn v2_batch_with_left_padding_matches_single_scores() {
    let dir = shared_models().join("tiny-qwen2-rerank");
    if !have(&dir.join("onnx/model.onnx")) {
        return;
    }
    let r = load_reranker(dir.to_str().expect("utf8"), CPU).expect("load");
    let passages = [
        "short",
        "a much longer passage about pandas living in China",
    ];
    let batch = r.score("panda", &passages).expect("batch");
    for (p, b) in passages.iter().zip(&batch) {
        let single = r.score("panda", &[p]).expect("single");
        assert!((single[0].logit - b.logit).abs() < 1e-3);
    }
}

#[test]
fn xsmall_v1_arch_int8_reranker_scores_pairs_alike_alone_or_batched_and_truncates() {
    let dir = shared_models().join("mxbai-rerank-xsmall-v1-arch-random");
    if !have(&dir.join("onnx/model_quantized.onnx")) {
        return;
    }
    let r = OnnxReranker::load(&dir, &ModelOptions::new(CPU)).expect("load");
    assert_eq!(crumb_engine::models::Reranker::provider(&r), "cpu");
    assert_eq!(r.kind(), RerankKind::CrossEncoderV1);
    let long = "lorem ipsum ".repeat(600);
    let passages = ["Crumb is a desktop search app.", long.as_str(), "short"];
    // A pair longer than the model's window is cut to exactly 512 tokens.
    assert_eq!(
        r.tokenize_pair("what is crumb", &long).expect("ids").len(),
        512
    );
    let batch =
        crumb_engine::models::Reranker::score(&r, "what is crumb", &passages).expect("score");
    // Each pair's score does not depend on what it was batched with (padding,
    // length sorting and the session pool are invisible).
    for (p, b) in passages.iter().zip(&batch) {
        let single =
            crumb_engine::models::Reranker::score(&r, "what is crumb", &[p]).expect("single");
        assert!((single[0].logit - b.logit).abs() < 1e-3, "{p:?}");
    }
    // Different passages get different scores.
    assert!((batch[0].logit - batch[2].logit).abs() > 1e-6);
}

#[test]
fn the_real_xsmall_config_selects_the_v1_path_at_512_tokens() {
    let cfg = json(&shared_models().join("mxbai-rerank-xsmall-v1-config/config.json"));
    let kind = RerankKind::from_model_type(cfg["model_type"].as_str().expect("model_type"));
    assert_eq!(kind.ok(), Some(RerankKind::CrossEncoderV1));
    assert_eq!(cfg["max_position_embeddings"].as_u64(), Some(512));
}

#[test]
fn a_model_name_resolves_to_the_data_dir_and_unknown_names_fail() {
    let data = tempfile::tempdir().expect("tempdir");
    let err =
        resolve_model("mxbai-rerank-xsmall-v1", Some(data.path())).expect_err("not installed");
    assert!(err.to_string().contains("crumb models fetch"), "{err}");
    assert!(resolve_model("no-such-model", Some(data.path())).is_err());

    let src = shared_models().join("tiny-deberta-v3-rerank");
    if !have(&src.join("onnx/model.onnx")) {
        return;
    }
    let dest = data.path().join("models/mxbai-rerank-xsmall-v1");
    std::fs::create_dir_all(dest.join("onnx")).expect("mkdir");
    for f in ["config.json", "tokenizer.json", "onnx/model.onnx"] {
        std::fs::copy(src.join(f), dest.join(f)).expect("copy");
    }
    assert_eq!(
        resolve_model("mxbai-rerank-xsmall-v1", Some(data.path())).ok(),
        Some(dest)
    );
    let r = load_reranker_with(
        "mxbai-rerank-xsmall-v1",
        Some(data.path()),
        &ModelOptions::new(CPU),
    )
    .expect("load by name");
    assert_eq!(r.id(), "mxbai-rerank-xsmall-v1/model");
}

#[test]
fn auto_provider_falls_back_to_the_cpu_and_says_so() {
    let dir = shared_models().join("tiny-deberta-v3-rerank");
    if !have(&dir.join("onnx/model.onnx")) {
        return;
    }
    let r = load_reranker(dir.to_str().expect("utf8"), ExecutionProvider::Auto).expect("load");
    // This build/machine has no accelerator; a `cuda` build on a GPU says "cuda".
    let accelerated = [
        ExecutionProvider::Cuda,
        ExecutionProvider::CoreMl,
        ExecutionProvider::DirectMl,
    ];
    if !accelerated.iter().any(|e| e.compiled_in()) {
        assert_eq!(r.provider(), "cpu");
    }
}

#[test]
fn crumb_rerank_json_prints_index_logit_score_in_input_order() {
    let dir = shared_models().join("tiny-deberta-v3-rerank");
    if !have(&dir.join("onnx/model.onnx")) {
        return;
    }
    let expected = json(&dir.join("expected_logits.json"));
    let pair = &expected["pairs"][1];
    let data = tempfile::tempdir().expect("tmp");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_crumb"))
        .arg("--data-dir")
        .arg(data.path())
        .args([
            "rerank",
            pair[0].as_str().expect("q"),
            pair[1].as_str().expect("p"),
            "unrelated",
        ])
        .arg("--reranker")
        .arg(&dir)
        .args(["--json", "--provider", "cpu"])
        .output()
        .expect("run crumb");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(rows.as_array().map(Vec::len), Some(2));
    assert_eq!(rows[0]["index"], 0);
    let want = expected["logits"][1].as_f64().expect("logit");
    assert!((rows[0]["logit"].as_f64().expect("logit") - want).abs() < 1e-3);
    let score = rows[0]["score"].as_f64().expect("score");
    assert!((score - 1.0 / (1.0 + (-want).exp())).abs() < 1e-3);
}

#[test]
fn a_missing_onnx_runtime_is_reported_with_how_to_install_it() {
    let dir = shared_models().join("tiny-deberta-v3-rerank");
    let data = tempfile::tempdir().expect("tmp");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_crumb"))
        .env(
            "ORT_DYLIB_PATH",
            data.path().join("no-such-libonnxruntime.so"),
        )
        .arg("--data-dir")
        .arg(data.path())
        .args(["rerank", "q", "p", "--reranker"])
        .arg(&dir)
        .output()
        .expect("run crumb");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("ORT_DYLIB_PATH") && err.contains("setup-onnxruntime.sh"),
        "{err}"
    );
}

/// The causal-LM export of a v2 reranker: a tiny random Qwen2 decoder over
/// the real Qwen vocabulary, built by `scripts/make-tiny-qwen2-causal.py`.
/// The repository keeps its small files; the real Qwen `tokenizer.json`
/// (11 MB) comes from `../shared/models/tiny-qwen2-rerank`, and the two are
/// put together once per test run in a model folder under target/tmp.
fn causal_qwen_dir() -> std::path::PathBuf {
    static DIR: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let fixture = crate::support::repo_root().join("tests/fixtures/models/tiny-qwen2-causal");
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("tiny-qwen2-causal");
        std::fs::create_dir_all(dir.join("onnx")).expect("mkdir");
        for f in [
            "config.json",
            "tokenizer_config.json",
            "expected_logits.json",
            "onnx/model.onnx",
            "onnx/model_with_past.onnx",
        ] {
            std::fs::copy(fixture.join(f), dir.join(f)).expect("copy fixture");
        }
        let tokenizer = shared_models().join("tiny-qwen2-rerank/tokenizer.json");
        if tokenizer.is_file() {
            std::fs::copy(&tokenizer, dir.join("tokenizer.json")).expect("copy tokenizer");
        }
        dir
    })
    .clone()
}

/// The fixture's (query, document) pairs, their prompt ids and their
/// reference logit("1") − logit("0").
struct CausalExpected {
    pairs: Vec<(String, String)>,
    ids: Vec<Vec<u32>>,
    want: Vec<f32>,
}

fn causal_expected() -> CausalExpected {
    let expected = json(&causal_qwen_dir().join("expected_logits.json"));
    let pairs = expected["pairs"]
        .as_array()
        .expect("pairs")
        .iter()
        .map(|p| {
            let s = |i: usize| p[i].as_str().expect("text").to_string();
            (s(0), s(1))
        })
        .collect();
    let ids = expected["input_ids"]
        .as_array()
        .expect("input_ids")
        .iter()
        .map(|row| {
            row.as_array()
                .expect("ids")
                .iter()
                .map(|x| x.as_u64().expect("id") as u32)
                .collect()
        })
        .collect();
    CausalExpected {
        pairs,
        ids,
        want: f32s(&expected["logits"]),
    }
}

#[test]
fn v2_causal_lm_reproduces_reference_logits_one_pair_at_a_time() {
    let dir = causal_qwen_dir();
    if !have(&dir.join("tokenizer.json")) {
        return;
    }
    let CausalExpected { pairs, ids, want } = causal_expected();
    let r = OnnxReranker::load(&dir, &ModelOptions::new(CPU)).expect("load causal reranker");
    assert_eq!(r.kind(), RerankKind::QwenV2);
    for (((q, p), ids), want) in pairs.iter().zip(&ids).zip(&want) {
        assert_eq!(
            &r.tokenize_pair(q, p).expect("tokenize"),
            ids,
            "{q:?} / {p:?}"
        );
        let got = crumb_engine::models::Reranker::score(&r, q, &[p.as_str()]).expect("score");
        assert!(
            (got[0].logit - want).abs() < 1e-3,
            "{q:?} / {p:?}: {} vs {want}",
            got[0].logit
        );
    }
}

#[test]
fn v2_causal_lm_reproduces_reference_logits_in_a_left_padded_batch() {
    let dir = causal_qwen_dir();
    if !have(&dir.join("tokenizer.json")) {
        return;
    }
    let CausalExpected { pairs, ids, want } = causal_expected();
    let r = OnnxReranker::load(&dir, &ModelOptions::new(CPU)).expect("load causal reranker");
    let mut queries: Vec<&str> = pairs.iter().map(|(q, _)| q.as_str()).collect();
    queries.dedup();
    let mut padded = 0;
    for query in queries {
        let rows: Vec<usize> = (0..pairs.len()).filter(|&i| pairs[i].0 == query).collect();
        let passages: Vec<&str> = rows.iter().map(|&i| pairs[i].1.as_str()).collect();
        // All of a query's passages in one left-padded run, and through the
        // trait, whatever batches the reranker makes of them.
        let one_run = r.score_padded(query, &passages).expect("score in one run");
        let scored = crumb_engine::models::Reranker::score(&r, query, &passages).expect("score");
        for ((&i, a), b) in rows.iter().zip(&one_run).zip(&scored) {
            for (how, got) in [("one padded run", *a), ("score", b.logit)] {
                assert!(
                    (got - want[i]).abs() < 1e-3,
                    "{query:?} / {:?}, {how} of {}: {got} vs {}",
                    pairs[i].1,
                    rows.len(),
                    want[i]
                );
            }
        }
        let lengths: std::collections::BTreeSet<usize> =
            rows.iter().map(|&i| ids[i].len()).collect();
        if lengths.len() > 1 {
            padded += rows.len();
        }
    }
    // The fixture must give one query prompts of different lengths, or
    // nothing here was padded.
    assert!(padded >= 3, "no padded batch was scored");
}

#[test]
fn a_v2_export_with_a_kv_cache_is_refused_naming_the_input() {
    let dir = causal_qwen_dir();
    if !have(&dir.join("onnx/model_with_past.onnx")) {
        return;
    }
    let opts =
        ModelOptions::new(CPU).with_variant(OnnxVariant::File("model_with_past.onnx".into()));
    let err = match OnnxReranker::load(&dir, &opts) {
        Ok(_) => panic!("a model needing past_key_values inputs was accepted"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("\"past_key_values.0.key\""), "{err}");
    assert!(err.contains("model_with_past.onnx"), "{err}");
}
