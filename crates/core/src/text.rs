//! Post text processing: finds the mentions, hashtags and links in what a user typed
//! (a status or a bio), renders that plain text to safe HTML the way Mastodon does,
//! and counts its length against the character limit.
//!
//! The text is scanned once, left to right, by a small hand-written tokenizer (the
//! `regex` crate has no look-behind, and the "what comes before" rules are easier to
//! read as code). At every position it tries, in this order:
//!
//! * **Links** — `http://` or `https://` (any case), not preceded by an ASCII letter or
//!   digit or by `@ # $ _ /` (so `xhttps://…` is not a link, but `看https://…` is). The
//!   URL runs until whitespace, a control character, `<`, `>` or CJK punctuation
//!   (`，。、「」（）` …). Then trailing `. , ; : ! ? ' " … ’ ”` are dropped, and a trailing
//!   `)` or `]` is dropped only while it is unbalanced (so Wikipedia's
//!   `…/Rust_(disambiguation)` keeps its paren, `(see https://x.org/a)` does not). The
//!   host must start with a letter or digit. Nothing but http(s) is ever linked.
//! * **Mentions** — `@username` or `@username@domain`, not preceded by a word character,
//!   `=` or `/` (so `bob@example.org` is an e-mail address, not a mention). The username
//!   is `[A-Za-z0-9_]+` with single runs of `.`/`-` allowed *between* such runs; the
//!   domain is Unicode word characters with `.`/`-` runs between them (IDN-friendly).
//!   Dots, dashes and other punctuation at the end are not part of the mention.
//! * **Hashtags** — `#` or full-width `＃`, not preceded by a word character, `/`, `)`,
//!   `#`, `＃` or `&` (the last one keeps typed HTML entities like `&#x41;` out). The name
//!   is Unicode word characters (`\w`: letters incl. CJK, marks, digits, `_`) plus the
//!   separators `·` (U+00B7), `・` (U+30FB), ZWNJ and ZWJ, which may only appear inside
//!   the name (never first or last). A name that is all decimal digits, or longer than
//!   100 characters, is not a tag. Because CJK text has no spaces, `我喜欢#小米` has *no*
//!   tag (a word character precedes `#`), while `我喜欢 #小米 的手机` and `好，#小米`
//!   (CJK punctuation is not a word character) do; a tag ends at the first character
//!   that is neither a word character nor a separator, e.g. a space or `。`.
//!
//! Positions inside a link are never looked at again, so `https://x.org/#frag` and
//! `https://x.org/@alice` yield no tag and no mention.

use std::sync::LazyLock;

use regex::Regex;

/// What every http(s) URL counts for in [`count_chars`], whatever its real length.
pub const URL_CHAR_COST: usize = 23;

/// Longest hashtag name accepted, in chars.
pub const MAX_TAG_CHARS: usize = 100;

/// How many chars of a URL (after the scheme and `www.`) are shown before the ellipsis.
const URL_DISPLAY_CHARS: usize = 30;

/// A mention as typed: `@alice` (domain None) or `@alice@example.org`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MentionRef {
    pub username: String,
    pub domain: Option<String>,
}

impl MentionRef {
    /// `alice` or `alice@example.org` (without the leading `@`).
    pub fn acct(&self) -> String {
        match &self.domain {
            Some(domain) => format!("{}@{}", self.username, domain),
            None => self.username.clone(),
        }
    }

    /// Equal for the same account, ignoring case (usernames and domains are
    /// case-insensitive).
    fn key(&self) -> (String, Option<String>) {
        (
            self.username.to_lowercase(),
            self.domain.as_ref().map(|d| d.to_lowercase()),
        )
    }
}

/// What a mention resolved to, for rendering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedMention {
    /// Profile URL (only http/https URLs are linked; anything else leaves the mention as text).
    pub url: String,
    /// Shown after the `@`.
    pub username: String,
}

/// The entities found in a text.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Parsed {
    /// Distinct (case-insensitively) mentions in order of first appearance, as first typed.
    pub mentions: Vec<MentionRef>,
    /// Distinct normalized ([`normalize_tag`]) tag names in order of first appearance.
    pub tags: Vec<String>,
    /// Distinct URLs in order of first appearance.
    pub links: Vec<String>,
}

/// Finds the mentions, hashtags and links in `text` (see the module docs for the rules).
pub fn parse(text: &str) -> Parsed {
    use std::collections::HashSet;
    let mut parsed = Parsed::default();
    // Sets beside the ordered lists: a post of thousands of distinct mentions must not
    // compare each with every earlier one.
    let mut links = HashSet::new();
    let mut mentions = HashSet::new();
    let mut tags = HashSet::new();
    for token in tokenize(text) {
        match token {
            Token::Text(_) => {}
            Token::Link(url) => {
                if links.insert(url) {
                    parsed.links.push(url.to_string());
                }
            }
            Token::Mention { mention, .. } => {
                if mentions.insert(mention.key()) {
                    parsed.mentions.push(mention);
                }
            }
            Token::Tag { name, .. } => {
                let name = normalize_tag(name);
                if tags.insert(name.clone()) {
                    parsed.tags.push(name);
                }
            }
        }
    }
    parsed
}

/// `text` with each mention that names no domain (`@alice`, an account of the region the
/// text was written in) given `domain` (`@alice@domain`), everything else as typed: the
/// text means the same people when another region reads it (a post moving home).
pub fn qualify_mentions(text: &str, domain: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for token in tokenize(text) {
        match token {
            Token::Mention {
                mention:
                    MentionRef {
                        username,
                        domain: None,
                    },
                ..
            } => {
                out.push('@');
                out.push_str(&username);
                out.push('@');
                out.push_str(domain);
            }
            Token::Text(raw)
            | Token::Link(raw)
            | Token::Mention { raw, .. }
            | Token::Tag { raw, .. } => out.push_str(raw),
        }
    }
    out
}

/// Renders plain user text to safe HTML the way Mastodon does.
///
/// * Empty or whitespace-only text renders to `""`. `\r\n` (and a lone `\r`) count as `\n`.
/// * Paragraphs (`<p>…</p>`) are split on blank lines (lines that are empty or only
///   whitespace); a single newline inside a paragraph becomes `<br />`.
/// * Everything the user typed is HTML-escaped (`& < > " '`).
/// * Links become `<a href="URL" target="_blank" rel="nofollow noopener noreferrer"
///   translate="no">` with Mastodon's display spans:
///   `<span class="invisible">https://www.</span><span class="ellipsis">first 30 chars</span><span class="invisible">rest</span>`
///   (the middle span's class is `ellipsis` only when the URL was cut, else empty; clients
///   hide `invisible` and add `…` after `ellipsis`).
/// * Mentions for which `resolve` returns a profile with an http(s) URL become
///   `<span class="h-card" translate="no"><a href="URL" class="u-url mention">@<span>USERNAME</span></a></span>`;
///   other mentions stay as escaped text.
/// * Hashtags become
///   `<a href="{base_url}/tags/{tag as typed, percent-encoded}" class="mention hashtag" rel="tag">#<span>{tag as typed}</span></a>`.
pub fn render(
    text: &str,
    base_url: &str,
    resolve: &dyn Fn(&MentionRef) -> Option<ResolvedMention>,
) -> String {
    render_with_emoji(text, base_url, resolve, None)
}

/// The URL of a known emoji's picture by its shortcode.
pub type EmojiUrl<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Like [`render`], and each `:shortcode:` of plain text (never inside a link, mention or
/// tag) for which `emoji` knows a picture becomes
/// `<img class="emoji" alt=":code:" title=":code:" src="URL" draggable="false">`: the web
/// pages' rendering. The API's `content` keeps the shortcodes; clients replace them.
pub fn render_with_emoji(
    text: &str,
    base_url: &str,
    resolve: &dyn Fn(&MentionRef) -> Option<ResolvedMention>,
    emoji: Option<EmojiUrl<'_>>,
) -> String {
    let text = normalize_newlines(text);
    let base_url = base_url.trim_end_matches('/');
    let mut out = String::with_capacity(text.len() + text.len() / 2 + 8);
    for paragraph in paragraphs(&text) {
        out.push_str("<p>");
        for token in tokenize(paragraph) {
            match token {
                Token::Text(s) => push_text(&mut out, s, emoji),
                Token::Link(url) => push_link(&mut out, url),
                Token::Mention { raw, mention } => match resolve(&mention) {
                    Some(resolved) if is_http_url(&resolved.url) => {
                        out.push_str(r#"<span class="h-card" translate="no"><a href=""#);
                        push_escaped(&mut out, &resolved.url);
                        out.push_str(r#"" class="u-url mention">@<span>"#);
                        push_escaped(&mut out, &resolved.username);
                        out.push_str("</span></a></span>");
                    }
                    _ => push_escaped(&mut out, raw),
                },
                Token::Tag { name, .. } => {
                    out.push_str(r#"<a href=""#);
                    push_escaped(&mut out, base_url);
                    out.push_str("/tags/");
                    push_escaped(&mut out, &percent_encode(name));
                    out.push_str(r#"" class="mention hashtag" rel="tag">#<span>"#);
                    push_escaped(&mut out, name);
                    out.push_str("</span></a>");
                }
            }
        }
        out.push_str("</p>");
    }
    out
}

/// `text` without the characters XML 1.0 forbids (C0 controls other than tab, newline
/// and carriage return; U+FFFE, U+FFFF). They have no meaning in a post or a name, and
/// one of them makes every RSS/Atom feed that carries the text unreadable.
pub fn strip_forbidden(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().any(is_forbidden) {
        std::borrow::Cow::Owned(text.chars().filter(|c| !is_forbidden(*c)).collect())
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

fn is_forbidden(c: char) -> bool {
    (c < '\u{20}' && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{FFFE}' | '\u{FFFF}')
}

/// Length as Mastodon counts it against the character limit: Unicode scalar values
/// (chars), except every http(s) URL counts as [`URL_CHAR_COST`] (23) and a remote
/// mention `@user@domain` counts only as `@user`. `\r\n` counts as one char.
pub fn count_chars(text: &str) -> usize {
    let text = normalize_newlines(text);
    tokenize(&text)
        .iter()
        .map(|token| match token {
            Token::Text(s) => s.chars().count(),
            Token::Link(_) => URL_CHAR_COST,
            Token::Mention { mention, .. } => 1 + mention.username.chars().count(),
            Token::Tag { raw, .. } => raw.chars().count(),
        })
        .sum()
}

/// Normalizes a hashtag name for storage and lookup: NFKC (full-width `Ｒｕｓｔ` is `Rust`),
/// then lower-case (Unicode-aware). Used for `#Rust` and `/tags/RUST` alike (pass the name
/// without `#`), so tag timelines, streams and search agree.
pub fn normalize_tag(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    name.nfkc().collect::<String>().to_lowercase()
}

/// True if `name` is a valid hashtag name (what the parser would accept after `#`):
/// 1..=100 chars of Unicode word characters (letters incl. CJK, marks, digits, `_`) and
/// the inner separators `·`, `・`, ZWNJ, ZWJ (not first or last), not all digits.
pub fn is_valid_tag(name: &str) -> bool {
    let (Some(first), Some(last)) = (name.chars().next(), name.chars().next_back()) else {
        return false;
    };
    is_tag_word_char(first)
        && is_tag_word_char(last)
        && name.chars().count() <= MAX_TAG_CHARS
        && name
            .chars()
            .all(|c| is_tag_word_char(c) || is_tag_separator(c))
        && !ALL_DIGITS.is_match(name)
}

// ---------------------------------------------------------------------------
// Tokenizer
// ---------------------------------------------------------------------------

/// Unicode `\w` for one char (letters, marks, decimal digits, connector punctuation, join controls).
static WORD_CHAR: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\A\w\z").expect("valid regex"));
/// Only Unicode decimal digits.
static ALL_DIGITS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\A\d+\z").expect("valid regex"));

#[derive(Debug, Clone, PartialEq)]
enum Token<'a> {
    /// Plain text between entities.
    Text(&'a str),
    /// An http(s) URL.
    Link(&'a str),
    /// `raw` is the whole mention as typed, `@` included.
    Mention { raw: &'a str, mention: MentionRef },
    /// `raw` includes the `#`/`＃`; `name` is the tag as typed, without it.
    Tag { raw: &'a str, name: &'a str },
}

fn tokenize(text: &str) -> Vec<Token<'_>> {
    let mut tokens = Vec::new();
    let mut text_start = 0;
    let mut i = 0;
    let mut prev: Option<char> = None;
    while let Some(c) = text[i..].chars().next() {
        let rest = &text[i..];
        let found = match c {
            'h' | 'H' if url_may_follow(prev) => {
                scan_url(rest).map(|len| (len, Token::Link(&rest[..len])))
            }
            '@' if mention_may_follow(prev) => scan_mention(rest),
            '#' | '＃' if tag_may_follow(prev) => scan_tag(rest),
            _ => None,
        };
        match found {
            Some((len, token)) => {
                if text_start < i {
                    tokens.push(Token::Text(&text[text_start..i]));
                }
                tokens.push(token);
                i += len;
                text_start = i;
                prev = text[..i].chars().next_back();
            }
            None => {
                i += c.len_utf8();
                prev = Some(c);
            }
        }
    }
    if text_start < text.len() {
        tokens.push(Token::Text(&text[text_start..]));
    }
    tokens
}

fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric() || c == '_'
    } else {
        let mut buf = [0u8; 4];
        WORD_CHAR.is_match(c.encode_utf8(&mut buf))
    }
}

/// Characters allowed inside (not at either end of) a hashtag name besides word characters.
fn is_tag_separator(c: char) -> bool {
    matches!(c, '\u{00B7}' | '\u{30FB}' | '\u{200C}' | '\u{200D}')
}

/// Word characters that may start or end a hashtag name.
fn is_tag_word_char(c: char) -> bool {
    is_word_char(c) && !is_tag_separator(c)
}

/// CJK symbols and punctuation, and the punctuation of the full-width forms block.
fn is_cjk_punctuation(c: char) -> bool {
    matches!(
        c,
        '\u{3000}'..='\u{303F}'
            | '\u{FF01}'..='\u{FF0F}'
            | '\u{FF1A}'..='\u{FF20}'
            | '\u{FF3B}'..='\u{FF40}'
            | '\u{FF5B}'..='\u{FF65}'
    )
}

fn url_may_follow(prev: Option<char>) -> bool {
    match prev {
        None => true,
        Some(p) => {
            !(p.is_ascii_alphanumeric() || matches!(p, '@' | '＠' | '#' | '＃' | '$' | '_' | '/'))
        }
    }
}

fn mention_may_follow(prev: Option<char>) -> bool {
    match prev {
        None => true,
        Some(p) => !(is_word_char(p) || p == '=' || p == '/'),
    }
}

fn tag_may_follow(prev: Option<char>) -> bool {
    match prev {
        None => true,
        Some(p) => !(is_word_char(p) || matches!(p, '/' | ')' | '#' | '＃' | '&')),
    }
}

fn starts_with_ignore_ascii_case(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// Length of the URL at the start of `s`, if any.
fn scan_url(s: &str) -> Option<usize> {
    let scheme_len = if starts_with_ignore_ascii_case(s, "https://") {
        8
    } else if starts_with_ignore_ascii_case(s, "http://") {
        7
    } else {
        return None;
    };
    let body = &s[scheme_len..];
    // A link starts with a letter or digit after the scheme, and trimming below never
    // removes that first character: decide it before scanning, so that text made of
    // rejected starts (`http://.http://.…`) is not scanned again from each of them.
    if !body.chars().next().is_some_and(char::is_alphanumeric) {
        return None;
    }
    let end = body
        .char_indices()
        .find(|&(_, c)| {
            c.is_whitespace() || c.is_control() || c == '<' || c == '>' || is_cjk_punctuation(c)
        })
        .map_or(body.len(), |(idx, _)| idx);
    let mut body = &body[..end];
    // Bracket balance counted once and kept up to date while trimming: recounting per
    // trimmed char made a link followed by 30,000 `)` cost seconds (quadratic).
    let count = |c: char| body.chars().filter(|&x| x == c).count();
    let (open_paren, mut close_paren) = (count('('), count(')'));
    let (open_square, mut close_square) = (count('['), count(']'));
    while let Some(last) = body.chars().next_back() {
        let drop = match last {
            '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '"' | '…' | '’' | '”' => true,
            ')' => close_paren > open_paren,
            ']' => close_square > open_square,
            _ => false,
        };
        if !drop {
            break;
        }
        match last {
            ')' => close_paren -= 1,
            ']' => close_square -= 1,
            _ => {}
        }
        body = &body[..body.len() - last.len_utf8()];
    }
    body.chars()
        .next()
        .filter(|c| c.is_alphanumeric())
        .map(|_| scheme_len + body.len())
}

/// Length of `part+([.-]+part+)*` at the start of `s` (0 if `s` does not start with a part char).
fn scan_dotted(s: &str, is_part: impl Fn(char) -> bool) -> usize {
    let run = |from: usize, pred: &dyn Fn(char) -> bool| -> usize {
        s[from..]
            .char_indices()
            .find(|&(_, c)| !pred(c))
            .map_or(s.len() - from, |(idx, _)| idx)
    };
    let mut len = run(0, &is_part);
    if len == 0 {
        return 0;
    }
    loop {
        let seps = run(len, &|c| c == '.' || c == '-');
        if seps == 0 {
            break;
        }
        let next = run(len + seps, &is_part);
        if next == 0 {
            break;
        }
        len += seps + next;
    }
    len
}

/// The mention at the start of `s` (which starts with `@`), if any, with its length.
fn scan_mention(s: &str) -> Option<(usize, Token<'_>)> {
    let after = &s[1..];
    let user_len = scan_dotted(after, |c| c.is_ascii_alphanumeric() || c == '_');
    if user_len == 0 {
        return None;
    }
    let username = &after[..user_len];
    let mut len = 1 + user_len;
    let mut domain = None;
    if let Some(domain_part) = after[user_len..].strip_prefix('@') {
        let mut domain_len = scan_dotted(domain_part, is_word_char);
        if domain_len > 0 {
            // A port (`@alice@127.0.0.1:8081`): regions on one machine differ only by it.
            if let Some(port) = domain_part[domain_len..].strip_prefix(':') {
                let digits = port.bytes().take_while(|b| b.is_ascii_digit()).count();
                let boundary = port[digits..]
                    .chars()
                    .next()
                    .is_none_or(|c| !is_word_char(c));
                if digits > 0 && boundary && port[..digits].parse::<u16>().is_ok() {
                    domain_len += 1 + digits;
                }
            }
            domain = Some(domain_part[..domain_len].to_string());
            len += 1 + domain_len;
        }
    }
    let mention = MentionRef {
        username: username.to_string(),
        domain,
    };
    Some((
        len,
        Token::Mention {
            raw: &s[..len],
            mention,
        },
    ))
}

/// The hashtag at the start of `s` (which starts with `#` or `＃`), if any, with its length.
fn scan_tag(s: &str) -> Option<(usize, Token<'_>)> {
    let hash_len = s.chars().next()?.len_utf8();
    let after = &s[hash_len..];
    let end = after
        .char_indices()
        .find(|&(_, c)| !(is_word_char(c) || is_tag_separator(c)))
        .map_or(after.len(), |(idx, _)| idx);
    let name = after[..end].trim_end_matches(is_tag_separator);
    if !is_valid_tag(name) {
        return None;
    }
    let len = hash_len + name.len();
    Some((
        len,
        Token::Tag {
            raw: &s[..len],
            name,
        },
    ))
}

// ---------------------------------------------------------------------------
// Rendering helpers
// ---------------------------------------------------------------------------

fn normalize_newlines(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// Splits on blank (empty or whitespace-only) lines; drops empty paragraphs.
fn paragraphs(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut end = 0;
    let mut pos = 0;
    for line in text.split('\n') {
        let line_start = pos;
        let line_end = pos + line.len();
        pos = line_end + 1;
        if line.trim().is_empty() {
            if let Some(s) = start.take() {
                out.push(&text[s..end]);
            }
        } else {
            start.get_or_insert(line_start);
            end = line_end;
        }
    }
    if let Some(s) = start {
        out.push(&text[s..end]);
    }
    out
}

fn push_escaped(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
}

/// Escaped text with newlines turned into `<br />`.
fn push_text(out: &mut String, s: &str, emoji: Option<EmojiUrl<'_>>) {
    for (i, line) in s.split('\n').enumerate() {
        if i > 0 {
            out.push_str("<br />");
        }
        match emoji {
            Some(emoji) => push_escaped_emoji(out, line, emoji),
            None => push_escaped(out, line),
        }
    }
}

/// Escaped text with known emoji drawn (see [`render_with_emoji`]).
fn push_escaped_emoji(out: &mut String, s: &str, emoji: EmojiUrl<'_>) {
    let mut last = 0;
    for (a, b) in crate::emoji::shortcode_spans(s) {
        let Some(url) = emoji(&s[a + 1..b - 1]) else {
            continue;
        };
        push_escaped(out, &s[last..a]);
        let code = &s[a..b];
        out.push_str(r#"<img class="emoji" alt=""#);
        push_escaped(out, code);
        out.push_str(r#"" title=""#);
        push_escaped(out, code);
        out.push_str(r#"" src=""#);
        push_escaped(out, &url);
        out.push_str(r#"" draggable="false">"#);
        last = b;
    }
    push_escaped(out, &s[last..]);
}

/// A plain text (a display name) escaped, with known emoji drawn.
pub fn escape_with_emoji(s: &str, emoji: EmojiUrl<'_>) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    push_escaped_emoji(&mut out, s, emoji);
    out
}

fn is_http_url(url: &str) -> bool {
    starts_with_ignore_ascii_case(url, "https://") || starts_with_ignore_ascii_case(url, "http://")
}

fn push_link(out: &mut String, url: &str) {
    let scheme_len = if starts_with_ignore_ascii_case(url, "https://") {
        8
    } else {
        7
    };
    let mut prefix_len = scheme_len;
    if starts_with_ignore_ascii_case(&url[scheme_len..], "www.") && url.len() > scheme_len + 4 {
        prefix_len += 4;
    }
    let (prefix, rest) = url.split_at(prefix_len);
    let cut = rest
        .char_indices()
        .nth(URL_DISPLAY_CHARS)
        .map_or(rest.len(), |(idx, _)| idx);
    let (shown, hidden) = rest.split_at(cut);

    out.push_str(r#"<a href=""#);
    push_escaped(out, url);
    out.push_str(r#"" target="_blank" rel="nofollow noopener noreferrer" translate="no"><span class="invisible">"#);
    push_escaped(out, prefix);
    out.push_str(if hidden.is_empty() {
        r#"</span><span class="">"#
    } else {
        r#"</span><span class="ellipsis">"#
    });
    push_escaped(out, shown);
    out.push_str(r#"</span><span class="invisible">"#);
    push_escaped(out, hidden);
    out.push_str("</span></a>");
}

/// Percent-encodes everything but RFC 3986 unreserved characters (UTF-8 bytes).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(username: &str) -> MentionRef {
        MentionRef {
            username: username.to_string(),
            domain: None,
        }
    }

    fn remote(username: &str, domain: &str) -> MentionRef {
        MentionRef {
            username: username.to_string(),
            domain: Some(domain.to_string()),
        }
    }

    #[test]
    fn qualified_mentions_name_the_region_and_leave_the_rest_as_typed() {
        let text = "@dewi and @asha@in.example, mail me@x.org, #Tag https://a.example/@b\n\n@Chen!";
        let q = qualify_mentions(text, "id.example");
        assert_eq!(
            q,
            "@dewi@id.example and @asha@in.example, mail me@x.org, #Tag https://a.example/@b\n\n@Chen@id.example!"
        );
        assert_eq!(
            parse(&q).mentions,
            vec![
                remote("dewi", "id.example"),
                remote("asha", "in.example"),
                remote("Chen", "id.example")
            ]
        );
        assert_eq!(qualify_mentions("", "id.example"), "");
        assert_eq!(qualify_mentions("no one", "id.example"), "no one");
    }

    fn tags(text: &str) -> Vec<String> {
        parse(text).tags
    }

    fn links(text: &str) -> Vec<String> {
        parse(text).links
    }

    fn mentions(text: &str) -> Vec<MentionRef> {
        parse(text).mentions
    }

    fn no_resolve(_: &MentionRef) -> Option<ResolvedMention> {
        None
    }

    /// Resolves every mention to `https://local.test/@acct`.
    fn resolve_all(m: &MentionRef) -> Option<ResolvedMention> {
        Some(ResolvedMention {
            url: format!("https://local.test/@{}", m.acct()),
            username: m.username.clone(),
        })
    }

    const BASE: &str = "https://local.test";

    /// Checks that `html` only contains the elements and attributes `render` may emit,
    /// with every attribute value double-quoted and free of raw `"`, `<`, `>`.
    fn assert_safe_html(html: &str) {
        let mut rest = html;
        while let Some(open) = rest.find('<') {
            let after = &rest[open + 1..];
            let close = after
                .find('>')
                .unwrap_or_else(|| panic!("unclosed tag in {html}"));
            assert!(!rest[..open].contains('>'), "stray > in {html}");
            let inner = &after[..close];
            assert!(!inner.contains('<'), "nested < in {html}");
            let (name, mut attrs) = inner.split_once(' ').unwrap_or((inner, ""));
            assert!(
                ["p", "/p", "br", "a", "/a", "span", "/span"].contains(&name),
                "unexpected element <{inner}> in {html}"
            );
            attrs = attrs.trim();
            while !attrs.is_empty() {
                if attrs == "/" {
                    break;
                }
                let (attr, value_and_more) = attrs
                    .split_once("=\"")
                    .unwrap_or_else(|| panic!("bad attributes {attrs:?} in {html}"));
                assert!(
                    ["href", "class", "target", "rel", "translate"].contains(&attr),
                    "unexpected attribute {attr} in {html}"
                );
                let end = value_and_more.find('"').expect("closing quote");
                if attr == "href" {
                    let value = &value_and_more[..end];
                    assert!(
                        value.starts_with("https://") || value.starts_with("http://"),
                        "non-http href {value} in {html}"
                    );
                }
                attrs = value_and_more[end + 1..].trim_start();
            }
            rest = &after[close + 1..];
        }
        assert!(!rest.contains('>'), "stray > in {html}");
    }

    #[test]
    fn a_mention_domain_may_carry_a_port() {
        let p = parse("hi @bob@127.0.0.1:8081, and @amy@host:99999 and @x@h:80a");
        let m: Vec<String> = p.mentions.iter().map(|m| m.acct()).collect();
        assert_eq!(m, vec!["bob@127.0.0.1:8081", "amy@host", "x@h"]);
    }

    // ----- hashtags -----

    #[test]
    fn english_tags_are_normalized_and_deduplicated() {
        assert_eq!(tags("#Rust is fun. #rust #RUST #Go!"), vec!["rust", "go"]);
        assert_eq!(normalize_tag("RUST"), "rust");
        assert_eq!(normalize_tag("Ÿö"), "ÿö");
        assert_eq!(normalize_tag("Ｒｕｓｔ"), "rust");
        assert_eq!(tags("#Ｒｕｓｔ and #rust"), vec!["rust"]);
    }

    #[test]
    fn chinese_tags() {
        assert_eq!(tags("#小米"), vec!["小米"]);
        assert_eq!(tags("我喜欢 #小米 的手机"), vec!["小米"]);
        // A word character right before `#` means no tag (CJK has no spaces).
        assert!(tags("我喜欢#小米").is_empty());
        // CJK punctuation is not a word character, and it also ends the tag.
        assert_eq!(tags("好，#小米手机。真好"), vec!["小米手机"]);
        assert_eq!(tags("「#小米」"), vec!["小米"]);
        assert_eq!(tags("#ソフト・ウェア"), vec!["ソフト・ウェア"]);
    }

    #[test]
    fn full_width_hash_starts_a_tag() {
        assert_eq!(tags("＃小米 and ＃Rust"), vec!["小米", "rust"]);
    }

    #[test]
    fn digits_only_is_not_a_tag() {
        assert!(tags("#123 #2024").is_empty());
        assert_eq!(tags("#123abc #1_2 #a1"), vec!["123abc", "1_2", "a1"]);
        assert!(tags("#٣٤").is_empty()); // Arabic-Indic digits are digits too
    }

    #[test]
    fn tag_boundaries() {
        assert!(tags("foo#bar").is_empty());
        assert!(tags("a/#b (x)#y &#x41; ##double").is_empty());
        assert!(tags("# space #").is_empty());
        assert_eq!(tags("(#paren) #end."), vec!["paren", "end"]);
        assert_eq!(
            tags("#rust's #a_b_c #snake_"),
            vec!["rust", "a_b_c", "snake_"]
        );
        assert_eq!(tags("\n#newline"), vec!["newline"]);
        assert_eq!(tags("👍#emoji"), vec!["emoji"]);
    }

    #[test]
    fn tag_separators_only_inside() {
        assert_eq!(tags("#foo·bar"), vec!["foo·bar"]);
        assert_eq!(tags("#foo· next"), vec!["foo"]);
        assert!(tags("#·foo").is_empty());
        let html = render("#foo·", BASE, &no_resolve);
        assert!(html.ends_with("#<span>foo</span></a>·</p>"), "{html}");
    }

    #[test]
    fn tags_inside_urls_are_not_tags() {
        let parsed = parse("see https://x.org/#frag and example.org/#path");
        assert!(parsed.tags.is_empty());
        assert_eq!(parsed.links, vec!["https://x.org/#frag"]);
    }

    #[test]
    fn tag_length_limit() {
        let hundred = "a".repeat(100);
        let long = "a".repeat(101);
        assert_eq!(tags(&format!("#{hundred}")), vec![hundred.clone()]);
        assert!(tags(&format!("#{long}")).is_empty());
        assert!(is_valid_tag(&hundred));
        assert!(!is_valid_tag(&long));
        assert!(is_valid_tag(&"小".repeat(100)));
    }

    #[test]
    fn valid_tag_names() {
        for ok in [
            "rust",
            "Rust",
            "小米",
            "a1",
            "1a",
            "foo·bar",
            "ソフト・ウェア",
            "_",
            "x_1",
            "café",
        ] {
            assert!(is_valid_tag(ok), "{ok}");
        }
        for bad in [
            "", "123", "a b", "a-b", "#rust", "·foo", "foo·", "a.b", "<b>", "٣٤",
        ] {
            assert!(!is_valid_tag(bad), "{bad}");
        }
    }

    // ----- mentions -----

    #[test]
    fn local_and_remote_mentions() {
        assert_eq!(
            mentions("hi @alice and @bob@example.org!"),
            vec![local("alice"), remote("bob", "example.org")]
        );
        assert_eq!(
            mentions("@first.last@sub.example.org"),
            vec![remote("first.last", "sub.example.org")]
        );
        assert_eq!(mentions("@a-b_c"), vec![local("a-b_c")]);
    }

    #[test]
    fn mention_trailing_punctuation() {
        for text in [
            "@alice.",
            "@alice,",
            "@alice!",
            "@alice?",
            "(@alice)",
            "@alice:",
            "@alice...",
        ] {
            assert_eq!(mentions(text), vec![local("alice")], "{text}");
        }
        assert_eq!(
            mentions("cc @bob@example.org."),
            vec![remote("bob", "example.org")]
        );
        assert_eq!(
            mentions("@bob@example.org)"),
            vec![remote("bob", "example.org")]
        );
        assert_eq!(mentions("@alice-"), vec![local("alice")]);
        // A dangling second `@` is not part of the mention.
        assert_eq!(mentions("@alice@ hi"), vec![local("alice")]);
    }

    #[test]
    fn emails_and_other_non_mentions() {
        assert!(mentions("mail bob@example.org now").is_empty());
        assert!(mentions("a/@alice x=@alice @ alice @ @小米").is_empty());
    }

    #[test]
    fn mentions_are_deduplicated_case_insensitively() {
        assert_eq!(
            mentions("@Alice @alice @alice@x.org @ALICE@X.ORG @bob"),
            vec![local("Alice"), remote("alice", "x.org"), local("bob")]
        );
    }

    #[test]
    fn mentions_inside_urls_are_not_mentions() {
        let parsed = parse("https://x.org/@alice");
        assert!(parsed.mentions.is_empty());
        assert_eq!(parsed.links, vec!["https://x.org/@alice"]);
    }

    // ----- links -----

    #[test]
    fn links_trailing_punctuation() {
        assert_eq!(
            links("see https://example.org."),
            vec!["https://example.org"]
        );
        assert_eq!(
            links("https://example.org/a?b=c&d=e, ok"),
            vec!["https://example.org/a?b=c&d=e"]
        );
        assert_eq!(links("\"https://x.org/q\"!"), vec!["https://x.org/q"]);
        assert_eq!(links("'https://x.org/q';"), vec!["https://x.org/q"]);
        assert_eq!(links("wow https://x.org/a!?..."), vec!["https://x.org/a"]);
    }

    #[test]
    fn links_and_parentheses() {
        assert_eq!(
            links("https://en.wikipedia.org/wiki/Rust_(disambiguation)"),
            vec!["https://en.wikipedia.org/wiki/Rust_(disambiguation)"]
        );
        assert_eq!(
            links("(see https://en.wikipedia.org/wiki/Rust_(disambiguation)), ok"),
            vec!["https://en.wikipedia.org/wiki/Rust_(disambiguation)"]
        );
        assert_eq!(links("(see https://x.org/a)."), vec!["https://x.org/a"]);
        assert_eq!(links("[https://x.org/a]"), vec!["https://x.org/a"]);
        assert_eq!(links("https://x.org/a[1]"), vec!["https://x.org/a[1]"]);
    }

    #[test]
    fn pathological_links_parse_in_linear_time() {
        // Each of these took seconds (quadratic) before; now each is a single pass.
        let parens = format!("https://a.example/{}", ")".repeat(30_000));
        assert_eq!(links(&parens), vec!["https://a.example/"]);
        let starts = "http://.".repeat(20_000);
        assert!(links(&starts).is_empty());
        let long = format!("https://a.example/{}", "x(".repeat(10_000));
        assert_eq!(links(&long), vec![long.clone()]);
        let t = std::time::Instant::now();
        for text in [&parens, &starts, &long] {
            count_chars(text);
            render(text, "https://r.example", &no_resolve);
        }
        // A generous bound: the quadratic versions took several seconds each.
        assert!(
            t.elapsed() < std::time::Duration::from_secs(2),
            "{:?}",
            t.elapsed()
        );
    }

    #[test]
    fn xml_forbidden_characters_are_stripped() {
        assert_eq!(
            strip_forbidden("a\u{1}b\u{8}c\u{b}d\u{c}e\u{1b}f\u{FFFE}g\u{FFFF}h\ti\nj\rk"),
            "abcdefgh\ti\nj\rk"
        );
        assert!(matches!(
            strip_forbidden("plain 中文"),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn links_in_cjk_text() {
        assert_eq!(links("看https://x.org/a。好"), vec!["https://x.org/a"]);
        assert_eq!(links("（https://x.org/b）"), vec!["https://x.org/b"]);
    }

    #[test]
    fn what_is_not_a_link() {
        assert!(links("https:// http://. https://\"><b> xhttps://x.org").is_empty());
        assert!(links("javascript:alert(1) ftp://x.org data:text/html,hi www.x.org").is_empty());
    }

    #[test]
    fn links_deduplicated_in_order() {
        assert_eq!(
            links("HTTPS://B.org https://a.org http://b.org https://a.org"),
            vec!["HTTPS://B.org", "https://a.org", "http://b.org"]
        );
    }

    #[test]
    fn parse_all_kinds_together() {
        let parsed = parse("@alice look #Rust https://x.org/ #rust @bob@y.org");
        assert_eq!(
            parsed,
            Parsed {
                mentions: vec![local("alice"), remote("bob", "y.org")],
                tags: vec!["rust".to_string()],
                links: vec!["https://x.org/".to_string()],
            }
        );
        assert_eq!(parse(""), Parsed::default());
    }

    // ----- rendering -----

    #[test]
    fn render_empty_and_paragraphs() {
        assert_eq!(render("", BASE, &no_resolve), "");
        assert_eq!(render("  \n \r\n", BASE, &no_resolve), "");
        assert_eq!(render("hello", BASE, &no_resolve), "<p>hello</p>");
        assert_eq!(render("a\nb", BASE, &no_resolve), "<p>a<br />b</p>");
        assert_eq!(render("a\n\nb", BASE, &no_resolve), "<p>a</p><p>b</p>");
        assert_eq!(
            render("a\n  \n\n\nb\n", BASE, &no_resolve),
            "<p>a</p><p>b</p>"
        );
        assert_eq!(
            render("\r\na\r\n\r\nb\r\nc\rd", BASE, &no_resolve),
            "<p>a</p><p>b<br />c<br />d</p>"
        );
    }

    #[test]
    fn render_short_link() {
        assert_eq!(
            render("go https://www.example.org/a now", BASE, &no_resolve),
            concat!(
                r#"<p>go <a href="https://www.example.org/a" target="_blank" rel="nofollow noopener noreferrer" translate="no">"#,
                r#"<span class="invisible">https://www.</span><span class="">example.org/a</span><span class="invisible"></span></a> now</p>"#
            )
        );
    }

    #[test]
    fn render_long_link_is_cut_after_30_chars() {
        let url = "http://example.org/a/very/long/path/that/goes/on?x=1&y=2";
        let html = render(url, BASE, &no_resolve);
        assert_eq!(
            html,
            concat!(
                r#"<p><a href="http://example.org/a/very/long/path/that/goes/on?x=1&amp;y=2" target="_blank" rel="nofollow noopener noreferrer" translate="no">"#,
                r#"<span class="invisible">http://</span><span class="ellipsis">example.org/a/very/long/path/t</span>"#,
                r#"<span class="invisible">hat/goes/on?x=1&amp;y=2</span></a></p>"#
            )
        );
        assert_safe_html(&html);
    }

    #[test]
    fn render_resolved_and_unresolved_mentions() {
        let resolve = |m: &MentionRef| {
            (m.username == "alice").then(|| ResolvedMention {
                url: "https://local.test/@alice".to_string(),
                username: "alice".to_string(),
            })
        };
        assert_eq!(
            render("hi @alice and @nobody@x.org.", BASE, &resolve),
            concat!(
                r#"<p>hi <span class="h-card" translate="no"><a href="https://local.test/@alice" class="u-url mention">@<span>alice</span></a></span>"#,
                " and @nobody@x.org.</p>"
            )
        );
    }

    #[test]
    fn render_passes_the_typed_mention_to_the_resolver() {
        let seen = std::cell::RefCell::new(Vec::new());
        let resolve = |m: &MentionRef| {
            seen.borrow_mut().push(m.clone());
            resolve_all(m)
        };
        let html = render("@bob@remote.example hey", BASE, &resolve);
        assert_eq!(*seen.borrow(), vec![remote("bob", "remote.example")]);
        assert!(
            html.contains(r#"href="https://local.test/@bob@remote.example""#),
            "{html}"
        );
        assert!(html.contains("@<span>bob</span>"), "{html}");
    }

    #[test]
    fn render_hashtags() {
        assert_eq!(
            render("I like #Rust", "https://local.test/", &no_resolve),
            r#"<p>I like <a href="https://local.test/tags/Rust" class="mention hashtag" rel="tag">#<span>Rust</span></a></p>"#
        );
        assert_eq!(
            render("好，＃小米", BASE, &no_resolve),
            r#"<p>好，<a href="https://local.test/tags/%E5%B0%8F%E7%B1%B3" class="mention hashtag" rel="tag">#<span>小米</span></a></p>"#
        );
        // Not a tag: stays text.
        assert_eq!(
            render("#123 我喜欢#小米", BASE, &no_resolve),
            "<p>#123 我喜欢#小米</p>"
        );
    }

    #[test]
    fn render_everything_together_is_safe() {
        let html = render("@a #b https://c.org\n\n<i>x</i>", BASE, &resolve_all);
        assert_safe_html(&html);
        assert!(html.ends_with("<p>&lt;i&gt;x&lt;/i&gt;</p>"), "{html}");
    }

    // ----- security -----

    #[test]
    fn script_is_escaped() {
        let html = render("<script>alert('x')</script> & \"q\"", BASE, &no_resolve);
        assert_eq!(
            html,
            "<p>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;</p>"
        );
    }

    #[test]
    fn attribute_breakout_is_escaped() {
        let html = render("\"><img src=x onerror=alert(1)>", BASE, &no_resolve);
        assert_eq!(html, "<p>&quot;&gt;&lt;img src=x onerror=alert(1)&gt;</p>");
        assert_safe_html(&html);
    }

    #[test]
    fn javascript_urls_are_never_linked() {
        let html = render("javascript:alert(1) JaVaScRiPt:alert(1)", BASE, &no_resolve);
        assert!(!html.contains("<a"), "{html}");
        assert!(parse("javascript:alert(1)").links.is_empty());
    }

    #[test]
    fn quotes_in_urls_are_escaped_in_attributes() {
        let html = render(
            r#"https://evil.org/"onmouseover="alert(1)'x"#,
            BASE,
            &no_resolve,
        );
        assert!(
            html.contains(r#"href="https://evil.org/&quot;onmouseover=&quot;alert(1)&#39;x""#),
            "{html}"
        );
        assert!(!html.contains("\"onmouseover"), "{html}");
        assert_safe_html(&html);
    }

    #[test]
    fn urls_stop_at_angle_brackets() {
        let html = render("https://x.org/<script>alert(1)</script>", BASE, &no_resolve);
        assert_eq!(
            parse("https://x.org/<script>").links,
            vec!["https://x.org/"]
        );
        assert!(!html.contains("<script"), "{html}");
        assert_safe_html(&html);
    }

    #[test]
    fn resolver_output_is_escaped_and_checked() {
        let evil_name = |_: &MentionRef| {
            Some(ResolvedMention {
                url: "https://x.org/\"><script>".to_string(),
                username: "<b>bob</b>".to_string(),
            })
        };
        let html = render("@bob", BASE, &evil_name);
        assert!(
            html.contains("@<span>&lt;b&gt;bob&lt;/b&gt;</span>"),
            "{html}"
        );
        assert_safe_html(&html);

        let evil_url = |_: &MentionRef| {
            Some(ResolvedMention {
                url: "javascript:alert(1)".to_string(),
                username: "bob".to_string(),
            })
        };
        assert_eq!(render("@bob", BASE, &evil_url), "<p>@bob</p>");
    }

    #[test]
    fn nasty_inputs_render_to_safe_html() {
        let inputs = [
            "<a href=\"javascript:alert(1)\">x</a>",
            "https://x.org/?q=<svg/onload=alert(1)>",
            "#<b>tag</b> @<i>bob</i> @bob@<x>.org",
            "'\"><iframe src=https://evil.org>",
            "https://x.org/a\"b'c&d#e @f #g\n\n\"<>&'",
            "&lt;already escaped&gt; &#x3C;script&#x3E;",
            "<p>para</p><br>",
            "https://x.org/)\"]'>",
        ];
        for input in inputs {
            let html = render(input, BASE, &resolve_all);
            assert_safe_html(&html);
            assert!(
                !html.contains("<script") && !html.contains("<img") && !html.contains("<iframe"),
                "{html}"
            );
        }
    }

    // ----- counting -----

    #[test]
    fn count_plain_text() {
        assert_eq!(count_chars(""), 0);
        assert_eq!(count_chars("hello"), 5);
        assert_eq!(count_chars("小米手机"), 4);
        assert_eq!(count_chars("👍 é"), 3);
        assert_eq!(count_chars("a\r\nb"), 3);
        assert_eq!(count_chars("#Rust"), 5);
    }

    #[test]
    fn count_urls_as_23() {
        assert_eq!(count_chars("https://x.org"), 23);
        assert_eq!(
            count_chars("hi https://example.org/a/very/long/path/that/is/longer/than/23."),
            3 + 23 + 1
        );
        assert_eq!(count_chars("https://a.org https://a.org"), 23 + 1 + 23);
    }

    #[test]
    fn count_remote_mentions_as_username_only() {
        assert_eq!(count_chars("@alice hi"), 9);
        assert_eq!(count_chars("@alice@example.org hi"), 9);
        assert_eq!(count_chars("bob@example.org"), 15); // e-mail, counted in full
    }

    #[test]
    fn known_emoji_become_escaped_images_outside_links() {
        let emoji =
            |c: &str| (c == "ok").then(|| "https://local.test/media/a.png?x=\"1\"".to_string());
        let html = render_with_emoji(
            "<b>:ok: :nope: https://h.test/:ok: #tag\n:ok:",
            BASE,
            &no_resolve,
            Some(&emoji),
        );
        assert_eq!(
            html.matches(r#"<img class="emoji" alt=":ok:" title=":ok:""#)
                .count(),
            2,
            "{html}"
        );
        assert!(html.starts_with("<p>&lt;b&gt;<img"), "{html}");
        assert!(
            html.contains(r#"src="https://local.test/media/a.png?x=&quot;1&quot;""#),
            "{html}"
        );
        assert!(html.contains(":nope:"), "{html}");
        assert!(html.contains("<br /><img"), "{html}");
        assert_eq!(
            render_with_emoji("a :ok: b", BASE, &no_resolve, None),
            render("a :ok: b", BASE, &no_resolve)
        );
        assert_eq!(
            escape_with_emoji("<i>Al</i> :ok:", &emoji),
            r#"&lt;i&gt;Al&lt;/i&gt; <img class="emoji" alt=":ok:" title=":ok:" src="https://local.test/media/a.png?x=&quot;1&quot;" draggable="false">"#
        );
    }
}
