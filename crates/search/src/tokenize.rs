//! Words of a post as the index sees them: NFKC and lower-case first (full-width letters
//! and digits become ASCII), then runs of Han/kana/hangul segmented by jieba and other
//! runs split into words of letters and digits; English words are stemmed by the
//! analyzer's stemmer after this.
//!
//! Posts are indexed in jieba's search mode (words and the shorter words inside them:
//! 操作系统 and 操作, 系统) and queries are cut in its precise mode, so a query word
//! matches whether the post used it alone or inside a longer word.

use jieba_rs::Jieba;
use std::sync::OnceLock;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use unicode_normalization::UnicodeNormalization;

/// The dictionary takes ~100 ms and some MB to load: once per process.
fn jieba() -> &'static Jieba {
    static JIEBA: OnceLock<Jieba> = OnceLock::new();
    JIEBA.get_or_init(Jieba::new)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Words and their sub-words (indexing).
    Index,
    /// The most likely words only (querying).
    Query,
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF      // kana
        | 0x3400..=0x4DBF    // Han extension A
        | 0x4E00..=0x9FFF    // Han
        | 0xAC00..=0xD7AF    // hangul syllables
        | 0xF900..=0xFAFF    // Han compatibility
        | 0x20000..=0x3134F) // Han extensions B..
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The words of `text`, normalised, in order (unstemmed).
pub fn words(text: &str, mode: Mode) -> Vec<String> {
    let norm: String = text.nfkc().flat_map(char::to_lowercase).collect();
    let mut out = Vec::new();
    let mut run = String::new();
    let mut run_cjk = false;
    let flush = |run: &mut String, cjk: bool, out: &mut Vec<String>| {
        if run.is_empty() {
            return;
        }
        if cjk {
            let j = jieba();
            let keep = |w: &&str| w.chars().any(is_word);
            match mode {
                Mode::Index => out.extend(
                    j.cut_for_search(run, true)
                        .into_iter()
                        .map(|t| t.word)
                        .filter(keep)
                        .map(str::to_string),
                ),
                // A long query word is asked for by its parts (手机操作系统 → 手机, 操作,
                // 系统): search mode indexes the parts of every word, not every longer
                // word inside it (操作系统 inside 手机操作系统).
                Mode::Query => {
                    for t in j.cut(run, true).into_iter().map(|t| t.word).filter(keep) {
                        let n = t.chars().count();
                        let parts: Vec<&str> = if n > 2 {
                            j.cut_for_search(t, true)
                                .into_iter()
                                .map(|p| p.word)
                                .filter(|p| p.chars().count() < n)
                                .collect()
                        } else {
                            Vec::new()
                        };
                        if parts.is_empty() {
                            out.push(t.to_string());
                        } else {
                            out.extend(parts.into_iter().map(str::to_string));
                        }
                    }
                }
            }
        } else {
            out.push(std::mem::take(run));
        }
        run.clear();
    };
    for c in norm.chars() {
        if is_cjk(c) {
            if !run_cjk {
                flush(&mut run, false, &mut out);
                run_cjk = true;
            }
            run.push(c);
        } else if is_word(c) {
            if run_cjk {
                flush(&mut run, true, &mut out);
                run_cjk = false;
            }
            run.push(c);
        } else {
            flush(&mut run, run_cjk, &mut out);
            run_cjk = false;
        }
    }
    flush(&mut run, run_cjk, &mut out);
    out
}

/// [`words`] as a tantivy tokenizer.
#[derive(Clone)]
pub struct RoostTokenizer(pub Mode);

pub struct WordStream {
    tokens: Vec<Token>,
    next: usize,
}

impl Tokenizer for RoostTokenizer {
    type TokenStream<'a> = WordStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordStream {
        let tokens = words(text, self.0)
            .into_iter()
            .enumerate()
            .map(|(position, text)| Token {
                // Offsets would point into the normalised text; nothing highlights.
                offset_from: 0,
                offset_to: 0,
                position,
                text,
                position_length: 1,
            })
            .collect();
        WordStream { tokens, next: 0 }
    }
}

impl TokenStream for WordStream {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }
    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Real Chinese posts (news and everyday microblog sentences, no spaces).
    const CORPUS: &[&str] = &[
        "小米发布了新款手机，搭载自研的手机操作系统澎湃OS。",
        "今天早上喝了一碗小米粥，胃舒服多了。",
        "华为和小米都在争夺国内智能手机市场的份额。",
        "我昨天在北京大学附近的书店买了一本关于机器学习的书。",
        "这个操作系统的更新太慢了，手机越用越卡。",
        "周末和朋友去西湖边散步，天气特别好。",
        "中华人民共和国成立于一九四九年。",
        "他在南京市长江大桥上拍了很多照片。",
        "新的电动汽车续航里程超过七百公里。",
        "大米的价格最近涨了不少。",
    ];

    /// (query, posts that must be found) — a human reader's answers.
    const JUDGED: &[(&str, &[usize])] = &[
        ("小米", &[0, 1, 2]),
        ("手机操作系统", &[0]),
        ("操作系统", &[0, 4]),
        ("手机", &[0, 2, 4]),
        ("北京大学", &[3]),
        ("机器学习", &[3]),
        ("西湖", &[5]),
        ("长江大桥", &[7]),
        ("续航", &[8]),
        ("电动汽车", &[8]),
        ("市场", &[2]),
        ("照片", &[7]),
    ];

    fn hits(
        query: &str,
        index: &dyn Fn(&str) -> Vec<String>,
        q: &dyn Fn(&str) -> Vec<String>,
    ) -> Vec<usize> {
        let want = q(query);
        CORPUS
            .iter()
            .enumerate()
            .filter(|(_, post)| {
                let have = index(post);
                want.iter().all(|w| have.contains(w))
            })
            .map(|(i, _)| i)
            .collect()
    }

    fn bigrams(s: &str) -> Vec<String> {
        let chars: Vec<char> = s.nfkc().filter(|c| is_cjk(*c)).collect();
        chars.windows(2).map(|w| w.iter().collect()).collect()
    }

    /// Recall and precision of jieba (index: search mode, query: precise) against CJK
    /// bigrams on the judged queries. jieba must find every judged post; the figures
    /// are printed (`--nocapture`) to compare the two.
    #[test]
    fn chinese_recall_on_a_real_corpus() {
        let (mut found, mut wanted, mut wrong_j, mut wrong_b, mut found_b) = (0, 0, 0, 0, 0);
        for (query, expected) in JUDGED {
            let j = hits(query, &|p| words(p, Mode::Index), &|p| {
                words(p, Mode::Query)
            });
            let b = hits(query, &bigrams, &bigrams);
            wanted += expected.len();
            found += expected.iter().filter(|e| j.contains(e)).count();
            found_b += expected.iter().filter(|e| b.contains(e)).count();
            wrong_j += j.iter().filter(|h| !expected.contains(h)).count();
            wrong_b += b.iter().filter(|h| !expected.contains(h)).count();
            assert_eq!(
                expected.iter().filter(|e| !j.contains(e)).count(),
                0,
                "{query}: jieba found {j:?}, wanted {expected:?}"
            );
        }
        println!(
            "jieba recall {found}/{wanted}, wrong hits {wrong_j}; bigrams recall {found_b}/{wanted}, wrong hits {wrong_b}"
        );
        assert_eq!(found, wanted);
    }

    #[test]
    fn a_word_is_found_inside_an_unspaced_sentence_and_not_across_words() {
        let post = words(
            "我昨天在北京大学附近的书店买了一本关于机器学习的书。",
            Mode::Index,
        );
        assert!(post.contains(&"大学".to_string()), "{post:?}");
        assert!(post.contains(&"书店".to_string()), "{post:?}");
        // "学附" straddles two words: bigrams would match it, jieba does not.
        assert!(!post.contains(&"学附".to_string()));
    }

    #[test]
    fn full_width_and_case_fold_and_mixed_text_splits() {
        assert_eq!(
            words("Ｒｕｓｔ　ＲＯＣＫＳ１２３", Mode::Query),
            vec!["rust", "rocks123"]
        );
        let mixed = words("用Rust写的搜索引擎tantivy很快", Mode::Query);
        assert!(mixed.contains(&"rust".to_string()), "{mixed:?}");
        assert!(mixed.contains(&"tantivy".to_string()), "{mixed:?}");
        assert!(mixed.contains(&"搜索".to_string()), "{mixed:?}");
        assert_eq!(
            words("#Hello, world! don't", Mode::Query),
            vec!["hello", "world", "don", "t"]
        );
    }
}
