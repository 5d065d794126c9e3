//! Custom emoji: the region's own `:shortcode:` pictures (Mastodon's CustomEmoji), the
//! rule for finding shortcodes in text, and the in-memory catalogue every mapping reads
//! (reloaded from the store by the server, so no status costs a query for its emoji).
//!
//! Emoji are `public_content` of the region: anyone may fetch their files, and they
//! belong to no user. Only this region's own texts are matched against its catalogue;
//! another region's posts and profiles name that region's emoji, not ours.

use crate::media::Blob;
use arc_swap::ArcSwap;
use jiff::Timestamp;
use std::collections::HashMap;
use std::sync::Arc;

/// One emoji of this region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomEmoji {
    /// `[A-Za-z0-9_]{2,}`, matched case-sensitively (as Mastodon does).
    pub shortcode: String,
    /// The processed picture in the blob store.
    pub file: Blob,
    /// Picker section; None files it under "uncategorised".
    pub category: Option<String>,
    /// Hidden emoji still render in text; only pickers leave them out.
    pub visible_in_picker: bool,
    pub created_at: Timestamp,
}

/// Longest shortcode accepted (Mastodon has no limit; a bound keeps URLs and pages sane).
pub const MAX_SHORTCODE: usize = 64;

/// Whether `s` is a valid shortcode: two or more ASCII letters, digits or underscores.
pub fn is_valid_shortcode(s: &str) -> bool {
    (2..=MAX_SHORTCODE).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn is_boundary(c: Option<char>) -> bool {
    c.is_none_or(|c| !c.is_alphanumeric() && c != ':')
}

/// Byte ranges of each `:shortcode:` in `text` (colons included), by Mastodon's rule: the
/// shortcode is `[A-Za-z0-9_]{2,}` and neither a letter, a digit nor a colon touches
/// either colon. Linear in the text.
pub fn shortcode_spans(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(off) = text[from..].find(':') {
        let i = from + off;
        from = i + 1;
        if !is_boundary(text[..i].chars().next_back()) {
            continue;
        }
        let mut j = i + 1;
        while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_') {
            j += 1;
        }
        if j - (i + 1) < 2 || bytes.get(j) != Some(&b':') {
            // Resume at `j`: a colon there may open the next one.
            from = j.max(i + 1);
            continue;
        }
        if !is_boundary(text[j + 1..].chars().next()) {
            from = j;
            continue;
        }
        out.push((i, j + 1));
        from = j + 1;
    }
    out
}

/// The emoji of a region at one moment, by shortcode.
#[derive(Debug, Default)]
pub struct EmojiSet {
    list: Vec<CustomEmoji>,
    by_code: HashMap<String, usize>,
}

impl EmojiSet {
    pub fn new(mut list: Vec<CustomEmoji>) -> EmojiSet {
        list.sort_by(|a, b| a.shortcode.cmp(&b.shortcode));
        let by_code = list
            .iter()
            .enumerate()
            .map(|(i, e)| (e.shortcode.clone(), i))
            .collect();
        EmojiSet { list, by_code }
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Every emoji, by shortcode.
    pub fn all(&self) -> &[CustomEmoji] {
        &self.list
    }

    pub fn get(&self, shortcode: &str) -> Option<&CustomEmoji> {
        self.by_code.get(shortcode).map(|&i| &self.list[i])
    }

    /// The known emoji named in `texts`, each once, in order of first use. Costs nothing
    /// when the region has no emoji, and one scan for `:` per text otherwise.
    pub fn used_in<'t>(&self, texts: impl IntoIterator<Item = &'t str>) -> Vec<&CustomEmoji> {
        let mut out: Vec<&CustomEmoji> = Vec::new();
        if self.is_empty() {
            return out;
        }
        for t in texts {
            for (s, e) in shortcode_spans(t) {
                if let Some(found) = self.get(&t[s + 1..e - 1]) {
                    if !out.iter().any(|o| o.shortcode == found.shortcode) {
                        out.push(found);
                    }
                }
            }
        }
        out
    }
}

/// The current [`EmojiSet`], shared by every clone (the config carries one): readers take
/// a snapshot without a lock, a reload swaps in a new set.
#[derive(Clone, Default)]
pub struct EmojiCatalog(Arc<ArcSwap<EmojiSet>>);

impl std::fmt::Debug for EmojiCatalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EmojiCatalog({} emoji)", self.0.load().list.len())
    }
}

impl EmojiCatalog {
    pub fn snapshot(&self) -> Arc<EmojiSet> {
        self.0.load_full()
    }

    pub fn replace(&self, list: Vec<CustomEmoji>) {
        self.0.store(Arc::new(EmojiSet::new(list)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(t: &str) -> Vec<&str> {
        shortcode_spans(t)
            .into_iter()
            .map(|(s, e)| &t[s + 1..e - 1])
            .collect()
    }

    #[test]
    fn shortcodes_follow_mastodons_boundaries() {
        assert_eq!(codes(":blobcat:"), vec!["blobcat"]);
        assert_eq!(codes("hi :a_b: and :c1:!"), vec!["a_b", "c1"]);
        assert_eq!(codes(":one::two:"), Vec::<&str>::new());
        assert_eq!(codes("x:abc: :abc:x"), Vec::<&str>::new());
        assert_eq!(codes(":a: :ab"), Vec::<&str>::new());
        assert_eq!(codes("https://h/:ab:"), vec!["ab"]);
        assert_eq!(codes("猫:ab:"), Vec::<&str>::new());
        assert_eq!(codes("猫 :ab:\n:cd:"), vec!["ab", "cd"]);
        assert_eq!(codes("::ab: :"), Vec::<&str>::new());
        assert_eq!(codes(":ab-cd:"), Vec::<&str>::new());
    }

    #[test]
    fn valid_shortcodes() {
        assert!(is_valid_shortcode("blob_cat2"));
        for bad in ["", "a", "a b", "a-b", "café", ":ab:", &"x".repeat(65)] {
            assert!(!is_valid_shortcode(bad), "{bad}");
        }
    }

    #[test]
    fn used_in_dedups_and_ignores_unknown() {
        let e = |c: &str| CustomEmoji {
            shortcode: c.into(),
            file: Blob {
                hash: "0".repeat(64),
                mime: "image/png".into(),
                size: 1,
            },
            category: None,
            visible_in_picker: true,
            created_at: Timestamp::UNIX_EPOCH,
        };
        let set = EmojiSet::new(vec![e("zz"), e("aa")]);
        assert_eq!(set.all()[0].shortcode, "aa");
        let used: Vec<_> = set
            .used_in([":zz: :nope: :aa:", ":zz:"])
            .into_iter()
            .map(|e| e.shortcode.as_str())
            .collect();
        assert_eq!(used, vec!["zz", "aa"]);
        assert!(EmojiSet::default().used_in([":zz:"]).is_empty());
    }

    /// The mapper's added cost per status (`-- --ignored --nocapture` to see it).
    #[test]
    #[ignore]
    fn cost() {
        let e = |c: &str| CustomEmoji {
            shortcode: c.into(),
            file: Blob {
                hash: "0".repeat(64),
                mime: "image/png".into(),
                size: 1,
            },
            category: None,
            visible_in_picker: true,
            created_at: Timestamp::UNIX_EPOCH,
        };
        let set = EmojiSet::new((0..200).map(|i| e(&format!("emoji_{i}"))).collect());
        let texts = [
            "A typical post of some length, with a link https://example.com/a/b?c=d and a #tag, no emoji at all, maybe two sentences.",
            "Party time :emoji_7: with :emoji_150: and an unknown :nope: at 10:30.",
        ];
        for t in texts {
            let n = 200_000;
            let start = std::time::Instant::now();
            let mut found = 0;
            for _ in 0..n {
                found += std::hint::black_box(&set)
                    .used_in([std::hint::black_box(t), ""])
                    .len();
            }
            let per = start.elapsed().as_nanos() / n as u128;
            println!("{per} ns per status ({found} found): {t:.30}");
        }
    }
}
