//! Words as people type them: half-typed, misspelt, with or without
//! accents, and in Chinese or Japanese.

use super::*;

#[test]
fn the_word_being_typed_matches_as_a_prefix_below_exact_matches() {
    let (e, _docs, _data) = indexed(&[
        ("sheet.txt", "The quarterly spreadsheet of expenses."),
        ("cell.txt", "Each cell divides in two."),
        ("cellular.txt", "Cellular respiration makes energy."),
    ]);
    assert_eq!(found(&e, "spreadsh"), ["sheet.txt"]);
    assert_eq!(found(&e, "quarterly spre"), ["sheet.txt"]);
    assert!(found(&e, "sp").is_empty(), "two letters are too few");
    // The exact word first, its longer forms after.
    assert_eq!(found(&e, "cell"), ["cell.txt", "cellular.txt"]);
    // A space (or full stop) says the word is finished.
    assert_eq!(found(&e, "cell "), ["cell.txt"]);
    assert!(found(&e, "spreadsh ").is_empty());
    // Only the last word is a prefix.
    assert!(found(&e, "spreadsh zzz").is_empty());
}

#[test]
fn a_misspelt_word_finds_the_word_below_exact_matches() {
    let (e, _docs, _data) = indexed(&[
        ("sheet.txt", "The quarterly spreadsheet of expenses."),
        ("zoo.txt", "An elephant and a giraffe at the zoo."),
        ("cell.txt", "Each cell divides in two."),
        ("letter.txt", "Please confirm you receive this letter."),
    ]);
    assert_eq!(
        found(&e, "spreadhseet "),
        ["sheet.txt"],
        "a transposition is one edit"
    );
    assert_eq!(found(&e, "elepjant "), ["zoo.txt"]);
    assert_eq!(found(&e, "girafe "), ["zoo.txt"], "one edit at six letters");
    assert_eq!(found(&e, "recieve "), ["letter.txt"]);
    assert_eq!(
        found(&e, "sprdsheet "),
        ["sheet.txt"],
        "two edits at eight letters and more"
    );
    assert!(
        found(&e, "grafe ").is_empty(),
        "two edits at five letters are too many"
    );
    assert!(
        found(&e, "celk ").is_empty(),
        "four letters are too few for a guess"
    );
    assert!(
        found(&e, "elxxxant ").is_empty(),
        "three edits are too many"
    );
    // The typo's stand-in counts less than a word found as typed.
    let hits = search(&e, "elepjant cell");
    assert_eq!(names(&hits)[0], "cell.txt");
}

#[test]
fn accented_and_unaccented_forms_find_each_other() {
    let (e, _docs, _data) = indexed(&[
        ("menu.txt", "Le café du coin sert une crème brûlée."),
        ("plain.txt", "Cafe de flore, creme brulee and a resume."),
        ("nfd.txt", "Re\u{301}sume\u{301} of the naïve approach."),
    ]);
    let both = ["menu.txt".to_string(), "plain.txt".to_string()];
    let mut cafe = found(&e, "cafe ");
    cafe.sort();
    assert_eq!(cafe, both);
    let mut cafe_accented = found(&e, "café ");
    cafe_accented.sort();
    assert_eq!(cafe_accented, both);
    assert_eq!(found(&e, "brûlée crème ").len(), 2);
    let mut resume = found(&e, "résumé ");
    resume.sort();
    assert_eq!(
        resume,
        ["nfd.txt", "plain.txt"],
        "decomposed accents fold too"
    );
    assert_eq!(found(&e, "naive "), ["nfd.txt"]);
}

/// A dozen short Chinese and Japanese notes, each with words the others lack.
const CJK: &[(&str, &str)] = &[
    ("zh-weather.txt", "今天北京的天气很好，我们去公园散步了。"),
    (
        "zh-library.txt",
        "我们在图书馆里读了很多关于中国古代历史和文化的有趣书籍，一直读到晚上。",
    ),
    (
        "zh-cooking.txt",
        "妈妈做的红烧肉非常好吃，我每次回家都要吃。",
    ),
    ("zh-train.txt", "高铁从上海到杭州只需要一个小时。"),
    ("zh-work.txt", "公司明天下午开会讨论新产品的价格。"),
    ("zh-doctor.txt", "他感冒了，医生让他多喝水多休息。"),
    (
        "ja-tokyo.txt",
        "東京大学の図書館は古い本がたくさんあります。",
    ),
    ("ja-cat.txt", "うちの猫は毎朝六時にご飯を食べます。"),
    ("ja-sushi.txt", "週末に友達と寿司を食べに行きました。"),
    ("ja-mountain.txt", "富士山に登るのは夏がいちばんです。"),
    (
        "ja-meeting.txt",
        "来週の会議の資料をメールで送ってください。",
    ),
    (
        "ja-katakana.txt",
        "新しいコンピューターのキーボードが壊れました。",
    ),
];

#[test]
fn chinese_and_japanese_are_found_by_two_to_four_characters() {
    let (e, _docs, _data) = indexed(CJK);
    let cases = [
        ("天气", "zh-weather.txt"),
        ("北京", "zh-weather.txt"),
        ("图书馆", "zh-library.txt"),
        ("古代历史", "zh-library.txt"),
        ("晚上", "zh-library.txt"),
        ("红烧肉", "zh-cooking.txt"),
        ("上海", "zh-train.txt"),
        ("杭州", "zh-train.txt"),
        ("价格", "zh-work.txt"),
        ("医生", "zh-doctor.txt"),
        ("東京大学", "ja-tokyo.txt"),
        ("猫", "ja-cat.txt"),
        ("ご飯", "ja-cat.txt"),
        ("寿司", "ja-sushi.txt"),
        ("富士山", "ja-mountain.txt"),
        ("会議", "ja-meeting.txt"),
        ("メール", "ja-meeting.txt"),
        ("キーボード", "ja-katakana.txt"),
    ];
    for (q, want) in cases {
        let got = found(&e, q);
        assert_eq!(got.first().map(String::as_str), Some(want), "{q}: {got:?}");
    }
    // A word that is in no note finds nothing, even though its characters are.
    assert!(found(&e, "北海").is_empty(), "{:?}", found(&e, "北海"));
    // 図書館 (Japanese) and 图书馆 (simplified Chinese) are different strings.
    assert_eq!(found(&e, "図書館"), ["ja-tokyo.txt"]);
    // The snippet highlights the whole match once, not overlapping bigrams.
    let hits = search(&e, "古代历史");
    let s = &hits[0].snippet;
    assert_eq!(s.highlights.len(), 1, "{s:?}");
    let (a, b) = s.highlights[0];
    assert_eq!(&s.text[a..b], "古代历史");
}
