//! The full-text search port: what the use cases need from a status index. The index
//! (tantivy, in `roost-search`) plugs in behind [`SearchIndex`], so core and the store
//! never see it. An index is a copy of the store: it holds only statuses the store holds
//! (never reblogs, never `transit` content), and only IDs and searchable fields, no text.

use crate::id::Id;
use jiff::Timestamp;

/// One status as the index sees it.
#[derive(Debug, Clone)]
pub struct IndexDoc {
    pub id: Id,
    pub author: Id,
    /// Content warning and text, as typed.
    pub text: String,
    /// Normalised tag names.
    pub tags: Vec<String>,
    pub language: Option<String>,
    pub reply: bool,
    pub sensitive: bool,
    /// The text has a URL in it (`has:link`).
    pub link: bool,
    /// Public visibility (`in:public`).
    pub public: bool,
    /// What it carries (`has:media`, `has:image`, `has:poll`...).
    pub has: Vec<Has>,
    pub created_at: Timestamp,
    /// Compared with the store's on catch-up, so an edit lost in a crash is re-indexed.
    pub edited_at: Option<Timestamp>,
    /// Minted in another region: held here only under a `store` policy.
    pub foreign: bool,
}

/// The index's side of a query; the use case filters the IDs it returns by visibility
/// and searchability, so an index cannot leak what a viewer may not see.
#[derive(Debug, Clone, Default)]
pub struct IndexQuery {
    /// Free text: every word must match (words are segmented as the index segments them).
    pub words: String,
    /// Tags every hit must carry.
    pub tags: Vec<String>,
    pub author: Option<Id>,
    pub language: Option<String>,
    pub reply: Option<bool>,
    pub sensitive: Option<bool>,
    pub link: Option<bool>,
    pub public: Option<bool>,
    /// What every hit must carry (`true`) or must not (`false`).
    pub has: Vec<(Has, bool)>,
    /// Created at or after (inclusive) / before (exclusive).
    pub after: Option<Timestamp>,
    pub before: Option<Timestamp>,
    /// Exclusive ID bounds.
    pub min_id: Option<Id>,
    pub max_id: Option<Id>,
    pub limit: usize,
}

impl IndexQuery {
    /// A query that asks nothing matches nothing (Mastodon answers an empty `q` emptily).
    pub fn is_empty(&self) -> bool {
        self.words.trim().is_empty() && self.tags.is_empty() && self.author.is_none()
    }
}

/// Things a status can carry, as `has:` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Has {
    /// Any attachment.
    Media,
    Image,
    /// A video or a GIF-like video, as Mastodon counts them.
    Video,
    Audio,
    Poll,
}

impl Has {
    pub fn as_str(self) -> &'static str {
        match self {
            Has::Media => "media",
            Has::Image => "image",
            Has::Video => "video",
            Has::Audio => "audio",
            Has::Poll => "poll",
        }
    }

    fn parse(v: &str) -> Option<Has> {
        Some(match v {
            "media" => Has::Media,
            "image" | "images" => Has::Image,
            "video" | "videos" => Has::Video,
            "audio" => Has::Audio,
            "poll" | "polls" => Has::Poll,
            _ => return None,
        })
    }

    /// What a status with these attachments (and a poll or not) carries.
    pub fn of(kinds: &[crate::media::MediaKind], poll: bool) -> Vec<Has> {
        use crate::media::MediaKind;
        let mut has = Vec::new();
        if !kinds.is_empty() {
            has.push(Has::Media);
        }
        for (h, found) in [
            (Has::Image, kinds.contains(&MediaKind::Image)),
            (
                Has::Video,
                kinds
                    .iter()
                    .any(|k| matches!(k, MediaKind::Video | MediaKind::Gifv)),
            ),
            (Has::Audio, kinds.contains(&MediaKind::Audio)),
            (Has::Poll, poll),
        ] {
            if found {
                has.push(h);
            }
        }
        has
    }
}

/// What the index holds about one status: enough to tell whether it is behind the store
/// and, for the audit, whether it holds a foreign item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexState {
    pub id: Id,
    pub edited_at: Option<Timestamp>,
    pub foreign: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index failed: {0}")]
    Backend(String),
}

/// A status index. Calls block (the caller runs them off the async threads).
pub trait SearchIndex: Send + Sync {
    /// Adds or replaces `upserts` and removes `removes`; durable when it returns. When
    /// anything was removed, the segments that held it are rewritten and the old files
    /// deleted, so the removed text leaves no bytes behind.
    fn apply(&self, upserts: Vec<IndexDoc>, removes: &[Id]) -> Result<(), SearchError>;
    /// Matching IDs, newest first.
    fn query(&self, q: &IndexQuery) -> Result<Vec<Id>, SearchError>;
    /// IDs of statuses with text or tags like these, most similar first.
    fn similar(
        &self,
        text: &str,
        tags: &[String],
        exclude: Id,
        limit: usize,
    ) -> Result<Vec<Id>, SearchError>;
    /// Everything indexed.
    fn states(&self) -> Result<Vec<IndexState>, SearchError>;
    /// Bytes on disk.
    fn size_bytes(&self) -> u64;
}

/// The search operators Mastodon 4.2 understands, parsed out of `q`; the rest is `words`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Operators {
    pub words: String,
    pub tags: Vec<String>,
    /// `from:name` or `from:name@domain` (`from:me` is the viewer).
    pub from: Option<String>,
    pub has_link: bool,
    /// `has:media`, `-has:poll`...
    pub has: Vec<(Has, bool)>,
    /// `has:` something this region's posts cannot have (`has:embed`); nothing matches.
    pub has_unknown: bool,
    pub reply: Option<bool>,
    pub sensitive: Option<bool>,
    pub language: Option<String>,
    pub before: Option<Timestamp>,
    pub after: Option<Timestamp>,
    /// `in:library` (own, liked, bookmarked, mentioned) or `in:public` (opted-in public).
    pub scope: Option<Scope>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Library,
    Public,
}

/// Splits operators off `q`. An operator with a value that does not parse is kept as a
/// word (so it matches literally or nothing), never an error.
pub fn parse_operators(q: &str) -> Operators {
    let mut ops = Operators::default();
    let mut words = Vec::new();
    for raw in q.split_whitespace() {
        let (neg, part) = match raw.strip_prefix('-') {
            Some(rest) if rest.contains(':') => (true, rest),
            _ => (false, raw),
        };
        let Some((key, value)) = part.split_once(':') else {
            if let Some(tag) = part.strip_prefix('#').filter(|t| !t.is_empty()) {
                ops.tags.push(crate::text::normalize_tag(tag));
            } else {
                words.push(raw);
            }
            continue;
        };
        let value = value.trim_matches('"');
        let day = |v: &str| -> Option<Timestamp> {
            let d: jiff::civil::Date = v.parse().ok()?;
            d.to_zoned(jiff::tz::TimeZone::UTC)
                .ok()
                .map(|z| z.timestamp())
        };
        let understood = match key.to_ascii_lowercase().as_str() {
            "from" if !neg && !value.is_empty() => {
                ops.from = Some(value.trim_start_matches('@').to_string());
                true
            }
            "has" => {
                match value.to_ascii_lowercase().as_str() {
                    "link" | "links" => ops.has_link = !neg,
                    v if Has::parse(v).is_some() => {
                        ops.has.extend(Has::parse(v).map(|h| (h, !neg)));
                    }
                    _ if !neg => ops.has_unknown = true,
                    _ => {}
                }
                true
            }
            "is" => match value.to_ascii_lowercase().as_str() {
                "reply" => {
                    ops.reply = Some(!neg);
                    true
                }
                "sensitive" => {
                    ops.sensitive = Some(!neg);
                    true
                }
                _ => false,
            },
            "language" if !value.is_empty() => {
                ops.language = Some(value.to_ascii_lowercase());
                true
            }
            "before" => day(value).map(|t| ops.before = Some(t)).is_some(),
            "after" => day(value)
                .map(|t| ops.after = Some(t + jiff::SignedDuration::from_hours(24)))
                .is_some(),
            "during" => day(value)
                .map(|t| {
                    ops.after = Some(t);
                    ops.before = Some(t + jiff::SignedDuration::from_hours(24));
                })
                .is_some(),
            "in" => match value.to_ascii_lowercase().as_str() {
                "library" => {
                    ops.scope = Some(Scope::Library);
                    true
                }
                "public" => {
                    ops.scope = Some(Scope::Public);
                    true
                }
                _ => false,
            },
            _ => false,
        };
        if !understood {
            words.push(raw);
        }
    }
    ops.words = words.join(" ");
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_are_split_off() {
        let o = parse_operators(
            "小米 from:alice has:link is:reply -is:sensitive language:zh #Ｒｕｓｔ",
        );
        assert_eq!(o.words, "小米");
        assert_eq!(o.from.as_deref(), Some("alice"));
        assert!(o.has_link);
        assert_eq!(o.reply, Some(true));
        assert_eq!(o.sensitive, Some(false));
        assert_eq!(o.language.as_deref(), Some("zh"));
        assert_eq!(o.tags, vec!["rust"]);
    }

    #[test]
    fn dates_bound_the_range() {
        let o = parse_operators("during:2026-03-04");
        let day: Timestamp = "2026-03-04T00:00:00Z".parse().unwrap();
        assert_eq!(o.after, Some(day));
        assert_eq!(o.before, Some(day + jiff::SignedDuration::from_hours(24)));
        let o = parse_operators("after:2026-03-04 before:nonsense in:library has:embed");
        assert_eq!(o.after, Some(day + jiff::SignedDuration::from_hours(24)));
        assert_eq!(o.words, "before:nonsense");
        assert_eq!(o.scope, Some(Scope::Library));
        assert!(o.has_unknown);
    }

    #[test]
    fn has_names_media_and_polls() {
        let o = parse_operators("cat has:media -has:poll has:Video has:audio has:image");
        assert_eq!(o.words, "cat");
        assert!(!o.has_unknown);
        assert_eq!(
            o.has,
            vec![
                (Has::Media, true),
                (Has::Poll, false),
                (Has::Video, true),
                (Has::Audio, true),
                (Has::Image, true)
            ]
        );
        use crate::media::MediaKind;
        assert_eq!(
            Has::of(&[MediaKind::Gifv], true),
            vec![Has::Media, Has::Video, Has::Poll]
        );
        assert!(Has::of(&[], false).is_empty());
    }
}
