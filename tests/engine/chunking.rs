//! The chunker's token estimate against the real tokenizers: no passage may
//! silently overflow the embedder's or the reranker's window, whatever the
//! text is made of.

use crate::support::{have, minilm_dir, shared_models};
use crumb_engine::chunk::chunk;
use crumb_engine::extract::{Block, ExtractedDoc, Location};
use crumb_engine::ChunkOptions;
use tokenizers::Tokenizer;

/// Room the reranker needs for a query and its special tokens.
const QUERY_ALLOWANCE: usize = 32;

fn doc(text: String) -> ExtractedDoc {
    ExtractedDoc {
        title: None,
        blocks: vec![Block {
            text,
            location: Location::default(),
        }],
        ..Default::default()
    }
}

/// Texts that tokenizers split much finer than words: numbers, identifiers,
/// URLs, and scripts other than Latin.
fn hard_texts() -> Vec<(&'static str, String)> {
    let numbers = (0..400)
        .map(|i| {
            format!(
                "Invoice {i:05} of 2023-{:02}-{:02}: 1,234,{i:03}.{:02} EUR, IBAN DE{:020}, ref 0x{:08x}.",
                i % 12 + 1,
                i % 28 + 1,
                i % 100,
                i as u64 * 7_919_u64,
                i * 2_654_435_761_usize % 0xffff_ffff
            )
        })
        .collect::<Vec<_>>()
        .join(" ");
    let urls = (0..300)
        .map(|i| {
            format!(
                "See https://example-{i}.org/a/b_c/{i}?q=search%20term&id={}#frag-{i} and mailto:user{i}@mail.example.com.",
                i * 31
            )
        })
        .collect::<Vec<_>>()
        .join(" ");
    let cyrillic = "Съешь же ещё этих мягких французских булок, да выпей чаю. ".repeat(120);
    let greek = "Ξεσκεπάζω την ψυχοφθόρα βδελυγμία των αντιπάλων μας. ".repeat(120);
    let arabic = "نص حكيم له سر قاطع وذو شأن عظيم مكتوب على ثوب أخضر ومغلف بجلد أزرق. ".repeat(100);
    let hindi =
        "ऋषियों को सताने वाले दुष्ट राक्षसों के राजा रावण का सर्वनाश करने वाले विष्णुवतार भगवान श्रीराम। "
            .repeat(80);
    let chinese = "我能吞下玻璃而不伤身体。天地玄黄，宇宙洪荒。日月盈昃，辰宿列张。".repeat(120);
    let japanese =
        "いろはにほへとちりぬるを、わかよたれそつねならむ。東京都の天気は晴れです。".repeat(120);
    let korean = "다람쥐 헌 쳇바퀴에 타고파. 키스의 고유조건은 입술끼리 만나야 하고. ".repeat(120);
    let emoji = "Weekend plans 🎉🏔️🚴‍♀️ with 👨‍👩‍👧‍👦 and 🍕🍕🍕! ".repeat(150);
    let code = "fn main() { let x: Vec<u8> = vec![0x1f, 0x2e, 0x3d]; println!(\"{:?}\", x.iter().map(|b| b ^ 0xff).collect::<Vec<_>>()); } ".repeat(60);
    vec![
        ("numbers", numbers),
        ("urls", urls),
        ("cyrillic", cyrillic),
        ("greek", greek),
        ("arabic", arabic),
        ("hindi", hindi),
        ("chinese", chinese),
        ("japanese", japanese),
        ("korean", korean),
        ("emoji", emoji),
        ("code", code),
    ]
}

fn check(tokenizer_json: &std::path::Path, window: usize, model: &str) {
    if !have(tokenizer_json) {
        return;
    }
    let tok = Tokenizer::from_file(tokenizer_json).expect("tokenizer");
    let opts = ChunkOptions::default();
    let mut worst = (0usize, "");
    for (name, text) in hard_texts() {
        let passages = chunk(&doc(text.clone()), &opts);
        assert!(passages.len() > 1, "{name}: should need several passages");
        for p in &passages {
            let n = tok
                .encode(p.text.as_str(), false)
                .expect("encode")
                .get_ids()
                .len();
            assert!(
                n <= window,
                "{model}: a {name} passage of {} bytes is {n} real tokens, over the {window}-token \
                 window (estimate {}): {:?}",
                p.text.len(),
                crumb_engine::chunk::estimate_tokens(&p.text),
                &p.text.chars().take(80).collect::<String>()
            );
            if n > worst.0 {
                worst = (n, name);
            }
        }
    }
    eprintln!("{model}: longest passage {} tokens ({})", worst.0, worst.1);
}

#[test]
fn passages_fit_the_embedders_window_by_its_real_tokenizer() {
    // [CLS] and [SEP] take two of MiniLM's (and mxbai-embed-xsmall-v1's) 512.
    check(&minilm_dir().join("tokenizer.json"), 510, "embedder");
}

#[test]
fn passages_fit_the_v1_rerankers_window_with_room_for_a_query() {
    check(
        &shared_models().join("mxbai-rerank-v1-tokenizer/tokenizer.json"),
        512 - QUERY_ALLOWANCE,
        "reranker v1",
    );
}
