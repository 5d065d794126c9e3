//! Which of a viewer's filters a status matches (Mastodon's FilterResult), by keyword or
//! by status ID. Pure: the use cases read the filters once (cached) and call this per
//! status of a page or per live item.
//!
//! Keywords match case-insensitively. A whole-word keyword needs a word boundary where
//! it starts (ends) with a word character, as Mastodon's `\b`; except that characters
//! of scripts written without spaces (Han, kana, Thai...) need none and count as no
//! word on either side, so `手机` matches inside `我的新手机很好` and `cat` inside `我的cat`.
//! Written by hand: a regex per keyword would be compiled per filter change for text
//! that is a few hundred characters long.

use crate::id::Id;
use crate::model::{Filter, Status};
use jiff::Timestamp;

/// One filter a status matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterMatch {
    pub filter: Filter,
    /// The text matched, as it appears in the status.
    pub keyword_matches: Vec<String>,
    /// The filtered status IDs matched (the status or the one it reblogs).
    pub status_matches: Vec<Id>,
}

/// A status's matches among `filters` (expired ones skipped). `proper` is the status
/// whose text counts (the reblogged one for a reblog); `outer` the one shown.
pub fn matches(
    filters: &[Filter],
    outer: &Status,
    proper: &Status,
    now: Timestamp,
) -> Vec<FilterMatch> {
    let mut out = Vec::new();
    if filters.is_empty() {
        return out;
    }
    let text = format!("{}\n\n{}", proper.spoiler_text, proper.text);
    for f in filters.iter().filter(|f| f.active_at(now)) {
        let keyword_matches: Vec<String> = f
            .keywords
            .iter()
            .filter_map(|k| find(&text, &k.keyword, k.whole_word))
            .collect();
        let status_matches: Vec<Id> = f
            .statuses
            .iter()
            .map(|s| s.status_id)
            .filter(|id| *id == outer.id || *id == proper.id)
            .collect();
        if !keyword_matches.is_empty() || !status_matches.is_empty() {
            out.push(FilterMatch {
                filter: f.clone(),
                keyword_matches,
                status_matches,
            });
        }
    }
    out
}

fn is_word(c: char) -> bool {
    (c.is_alphanumeric() || c == '_') && !unspaced(c)
}

/// Scripts written without spaces between words.
fn unspaced(c: char) -> bool {
    matches!(c as u32,
        0x0E00..=0x0EFF // Thai, Lao
        | 0x1000..=0x109F // Myanmar
        | 0x1780..=0x17FF // Khmer
        | 0x3040..=0x30FF // Hiragana, Katakana
        | 0x31F0..=0x31FF
        | 0x3400..=0x4DBF // Han
        | 0x4E00..=0x9FFF
        | 0xF900..=0xFAFF
        | 0xFF66..=0xFF9F // half-width Katakana
        | 0x20000..=0x2FA1F)
}

fn fold(c: char) -> impl Iterator<Item = char> {
    c.to_lowercase()
}

/// The first occurrence of `keyword` in `text` (case-insensitive), as the text spells it.
pub fn find(text: &str, keyword: &str, whole_word: bool) -> Option<String> {
    let key: Vec<char> = keyword.trim().chars().flat_map(fold).collect();
    if key.is_empty() {
        return None;
    }
    let first_word = key.first().is_some_and(|c| is_word(*c));
    let last_word = key.last().is_some_and(|c| is_word(*c));
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for start in 0..chars.len() {
        if whole_word && first_word && start > 0 && is_word(chars[start - 1].1) {
            continue;
        }
        // Walk the text folding each character, until the key is consumed.
        let mut k = 0;
        let mut end = start;
        let mut ok = true;
        while k < key.len() {
            let Some(&(_, c)) = chars.get(end) else {
                ok = false;
                break;
            };
            for f in fold(c) {
                if key.get(k) == Some(&f) {
                    k += 1;
                } else {
                    ok = false;
                    break;
                }
            }
            if !ok {
                break;
            }
            end += 1;
        }
        if !ok {
            continue;
        }
        if whole_word && last_word && chars.get(end).is_some_and(|(_, c)| is_word(*c)) {
            continue;
        }
        let from = chars[start].0;
        let to = chars.get(end).map_or(text.len(), |(i, _)| *i);
        return Some(text[from..to].to_string());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_words_in_latin_text() {
        assert_eq!(
            find("I like Cats a lot", "cats", true).as_deref(),
            Some("Cats")
        );
        assert_eq!(find("concatenate", "cat", true), None);
        assert_eq!(find("concatenate", "cat", false).as_deref(), Some("cat"));
        assert_eq!(find("the cat.", "cat", true).as_deref(), Some("cat"));
        assert_eq!(find("cat_food", "cat", true), None, "_ is a word character");
        assert_eq!(
            find("#spoiler alert", "#spoiler", true).as_deref(),
            Some("#spoiler")
        );
        assert_eq!(
            find("a-#spoiler", "#spoiler", true).as_deref(),
            Some("#spoiler")
        );
        assert_eq!(
            find("ÉCOLE fermée", "école", true).as_deref(),
            Some("ÉCOLE")
        );
        assert_eq!(
            find("bad word here", "bad word", true).as_deref(),
            Some("bad word")
        );
        assert_eq!(find("nothing", "  ", false), None);
    }

    #[test]
    fn cjk_keywords_match_inside_unspaced_text() {
        assert_eq!(
            find("我的新手机很好", "手机", true).as_deref(),
            Some("手机")
        );
        assert_eq!(
            find("我的新手机很好", "手机", false).as_deref(),
            Some("手机")
        );
        assert_eq!(
            find("スマホを買った", "スマホ", true).as_deref(),
            Some("スマホ")
        );
        assert_eq!(find("我的cat很好", "cat", true).as_deref(), Some("cat"));
        assert_eq!(find("我的新电脑很好", "手机", true), None);
    }
}
