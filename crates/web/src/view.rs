//! Page types: domain views turned into exactly what templates show. Post text is
//! rendered here again from its source with core's renderer, which escapes everything the
//! author typed — so markup arriving from another region is never trusted — and links
//! mentions and hashtags to this site's pages.

use roost_core::model::{Account, FilterAction, FilterContext, NotificationType};
use roost_core::text::{self, MentionRef, ResolvedMention};
use roost_core::usecase::{NotificationView, QuoteState, StatusView};
use roost_core::Roost;

/// A status as a card on a page.
pub struct Card {
    pub id: String,
    pub permalink: String,
    pub author: Who,
    /// Safe HTML (see the module docs).
    pub content_html: String,
    pub spoiler: String,
    pub lang: String,
    pub created_iso: String,
    pub created_text: String,
    pub edited: bool,
    pub visibility: &'static str,
    pub replies: i64,
    pub reblogs: i64,
    pub favourites: i64,
    pub quotes: i64,
    pub favourited: bool,
    pub reblogged: bool,
    pub bookmarked: bool,
    /// Whether like/reblog/bookmark buttons are shown (signed in, post kept here).
    pub actions: bool,
    pub own: bool,
    /// The link to the post this one answers.
    pub reply_to: Option<String>,
    /// Set on a reblog: who reblogged; the card shows the reblogged post.
    pub reblogged_by: Option<Who>,
    pub quote: Option<Box<Card>>,
    /// Why a quoted post is not shown.
    pub quote_note: Option<&'static str>,
    /// Fetched live from its home region: shown, not kept here.
    pub transit: bool,
    pub home_region: String,
    /// Plain text of the post, for titles and feeds.
    pub plain: String,
    pub views_total: i64,
    pub views_today: i64,
    /// The post a page is about (drawn emphasised).
    pub focus: bool,
    pub media: Vec<Picture>,
    /// "Filtered: <title>": the viewer's filters (warn or blur) collapse it.
    pub filtered: Option<String>,
    pub poll: Option<PollCard>,
}

/// A poll on a card: results bars, or a vote form that works without JavaScript.
pub struct PollCard {
    pub options: Vec<PollOptionLine>,
    pub multiple: bool,
    /// Else the results are drawn (voted, own poll, ended, or signed out).
    pub can_vote: bool,
    /// "12 votes · ends 2026-12-01 18:00" or "… · ended".
    pub summary: String,
}

pub struct PollOptionLine {
    pub index: usize,
    pub title: String,
    /// Percent of votes, None while totals are hidden.
    pub percent: Option<i64>,
    pub mine: bool,
}

fn poll_card(
    roost: &Roost,
    p: &roost_core::model::Poll,
    signed_in: bool,
    transit: bool,
) -> PollCard {
    let expired = p.expired(jiff::Timestamp::now());
    let hidden = p.hide_totals && !expired;
    let total = p.votes_count();
    let own = p.own_votes.clone().unwrap_or_default();
    let voted = !own.is_empty() || p.viewer_is_author;
    let options = p
        .options
        .iter()
        .zip(&p.votes)
        .enumerate()
        .map(|(index, (title, n))| PollOptionLine {
            index,
            title: title.clone(),
            percent: (!hidden).then(|| if total > 0 { n * 100 / total } else { 0 }),
            mine: own.contains(&(index as u32)),
        })
        .collect();
    let when = if expired {
        "ended".to_string()
    } else {
        format!("ends {}", human_time(p.expires_at, roost))
    };
    let can_vote = signed_in && !transit && !expired && !voted;
    PollCard {
        options,
        multiple: p.multiple,
        can_vote,
        summary: format!("{} · {when}", plural(total, "vote", "votes")),
    }
}

/// An account as a link.
pub struct Who {
    pub name: String,
    /// The name as safe HTML: escaped, with this region's emoji drawn (local accounts).
    pub name_html: String,
    pub handle: String,
    pub url: String,
    pub foreign: bool,
    pub region: String,
    /// The profile picture (the placeholder when none is set or kept here).
    pub avatar: String,
}

/// An attachment as a card shows it.
pub struct Picture {
    pub url: String,
    /// What the page shows (the preview for images).
    pub preview: String,
    /// The description; empty when the author gave none.
    pub alt: String,
    /// `image`, `gifv`, `video` or `audio`.
    pub kind: &'static str,
}

/// The attachments of a view, with URLs the viewer may use.
pub fn pictures(v: &StatusView) -> Vec<Picture> {
    v.media
        .iter()
        .filter_map(|m| {
            let url = m.url.clone()?;
            Some(Picture {
                preview: m.preview_url.clone().unwrap_or_else(|| url.clone()),
                url,
                alt: m.attachment.description.clone(),
                kind: m.attachment.kind.as_str(),
            })
        })
        .collect()
}

/// Where an account's picture is linked (as the API links it), or the placeholder.
pub fn avatar_url(roost: &Roost, a: &Account) -> String {
    roost
        .cfg
        .profile_picture_url(a, roost_core::media::MediaRole::Avatar)
        .unwrap_or_else(|| "/static/avatar.png".to_string())
}

pub fn who(roost: &Roost, a: &Account) -> Who {
    let acct = roost.acct(a);
    let name = if a.display_name.trim().is_empty() {
        a.username.clone()
    } else {
        a.display_name.clone()
    };
    let local = roost.is_local(a);
    Who {
        name_html: with_emoji(roost, local, &name),
        name,
        url: format!("/@{acct}"),
        handle: format!("@{acct}"),
        foreign: !roost.is_local(a),
        region: a.home_region.clone(),
        avatar: avatar_url(roost, a),
    }
}

/// `text` escaped; for a local text (`local`), each known emoji's `:shortcode:` drawn as
/// its picture. Another region's texts name that region's emoji, not ours.
pub fn with_emoji(roost: &Roost, local: bool, text: &str) -> String {
    let set = roost.custom_emojis();
    if !local || set.is_empty() {
        return text::escape_with_emoji(text, &|_| None);
    }
    let url = |code: &str| set.get(code).map(|e| roost.cfg.emoji_url(e));
    text::escape_with_emoji(text, &url)
}

/// Renders a post's source text for this site (see the module docs).
pub fn content_html(roost: &Roost, v: &StatusView) -> String {
    let resolve = |m: &MentionRef| -> Option<ResolvedMention> {
        let found = v.mentions.iter().find(|a| {
            a.username.eq_ignore_ascii_case(&m.username)
                && match &m.domain {
                    None => a.home_region == v.account.home_region,
                    Some(d) => roost
                        .cfg
                        .cluster
                        .region_by_domain(d)
                        .is_some_and(|r| r.code == a.home_region),
                }
        })?;
        Some(ResolvedMention {
            username: found.username.clone(),
            url: format!("{}/@{}", roost.cfg.base_url, roost.acct(found)),
        })
    };
    let set = roost.custom_emojis();
    let url = |code: &str| set.get(code).map(|e| roost.cfg.emoji_url(e));
    let emoji: Option<text::EmojiUrl<'_>> =
        (roost.is_local(&v.account) && !set.is_empty()).then_some(&url);
    text::render_with_emoji(&v.status.text, &roost.cfg.base_url, &resolve, emoji)
}

pub(crate) fn human_time(t: jiff::Timestamp, roost: &Roost) -> String {
    t.to_zoned(roost.cfg.time_zone.clone())
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

pub fn card(roost: &Roost, v: &StatusView, signed_in: Option<&Account>) -> Card {
    if let Some(inner) = &v.reblog {
        let mut c = card(roost, inner, signed_in);
        c.reblogged_by = Some(who(roost, &v.account));
        return c;
    }
    let author = who(roost, &v.account);
    let id = v.status.id.to_string();
    let flags = v.flags.unwrap_or_default();
    let (quote, quote_note) = match &v.quote {
        Some(q) => match (q.state, &q.status) {
            (QuoteState::Accepted, Some(s)) => (Some(Box::new(card(roost, s, signed_in))), None),
            (QuoteState::Deleted, _) => (None, Some("The quoted post was deleted.")),
            (QuoteState::Unauthorized, _) => (None, Some("The quoted post is not visible to you.")),
            _ => (None, None),
        },
        None => (None, None),
    };
    let reply_to = v.status.in_reply_to_id.map(|p| {
        // The parent's author is named by ID only; its page resolves the handle.
        format!("/statuses/{p}")
    });
    Card {
        permalink: format!("{}/{}", author.url, id),
        id,
        content_html: content_html(roost, v),
        spoiler: v.status.spoiler_text.clone(),
        lang: v.status.language.clone().unwrap_or_default(),
        created_iso: v.status.created_at.to_string(),
        created_text: human_time(v.status.created_at, roost),
        edited: v.status.edited_at.is_some(),
        visibility: v.status.visibility.as_str(),
        replies: v.status.replies_count,
        reblogs: v.status.reblogs_count,
        favourites: v.status.favourites_count,
        quotes: v.status.quotes_count,
        favourited: flags.favourited,
        reblogged: flags.reblogged,
        bookmarked: flags.bookmarked,
        actions: signed_in.is_some() && !v.transit,
        own: signed_in.is_some_and(|a| a.id == v.account.id),
        reply_to,
        reblogged_by: None,
        quote,
        quote_note,
        transit: v.transit,
        home_region: v.account.home_region.clone(),
        plain: plain_text(&v.status.text),
        views_total: v.views.total,
        views_today: v.views.today,
        focus: false,
        filtered: None,
        poll: v
            .poll
            .as_ref()
            .map(|p| poll_card(roost, p, signed_in.is_some(), v.transit)),
        media: pictures(v),
        author,
    }
}

/// Cards of a page in a filter context, as Mastodon's own web client shows them: a post
/// matching a `hide` filter is left out (a thread shows it collapsed instead), one
/// matching `warn` or `blur` is collapsed behind "Filtered: <title>".
pub fn cards_in(
    roost: &Roost,
    views: &[StatusView],
    signed_in: Option<&Account>,
    context: FilterContext,
) -> Vec<Card> {
    views
        .iter()
        .filter_map(|v| {
            let applying: Vec<_> = v
                .filtered
                .iter()
                .filter(|m| m.filter.applies_in(context))
                .collect();
            let hidden = applying
                .iter()
                .any(|m| m.filter.action == FilterAction::Hide);
            if hidden && context != FilterContext::Thread {
                return None;
            }
            let mut c = card(roost, v, signed_in);
            if !applying.is_empty() {
                let titles: Vec<&str> = applying.iter().map(|m| m.filter.title.as_str()).collect();
                c.filtered = Some(format!("Filtered: {}", titles.join(", ")));
            }
            Some(c)
        })
        .collect()
}

/// "1 comment", "2 comments".
pub fn plural(n: impl std::borrow::Borrow<i64>, one: &str, many: &str) -> String {
    let n = *n.borrow();
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

impl Card {
    pub fn counts(&self) -> Vec<String> {
        let mut out = vec![
            plural(self.replies, "comment", "comments"),
            plural(self.reblogs, "reblog", "reblogs"),
            plural(self.favourites, "like", "likes"),
        ];
        if self.quotes > 0 {
            out.push(plural(
                self.quotes,
                "repost with words",
                "reposts with words",
            ));
        }
        out
    }
}

pub fn cards(roost: &Roost, views: &[StatusView], signed_in: Option<&Account>) -> Vec<Card> {
    views.iter().map(|v| card(roost, v, signed_in)).collect()
}

/// The text with its whitespace folded, for titles and descriptions.
pub fn plain_text(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The first `n` characters of `s`, with an ellipsis when cut.
pub fn excerpt(s: &str, n: usize) -> String {
    let mut out: String = s.chars().take(n).collect();
    if s.chars().count() > n {
        out.push('…');
    }
    out
}

/// A notification as a line on the notifications page.
pub struct NoticeLine {
    pub who: Who,
    pub text: &'static str,
    pub when: String,
    pub card: Option<Card>,
}

pub fn notice(roost: &Roost, n: &NotificationView, me: &Account) -> NoticeLine {
    let text = match n.notification.kind {
        NotificationType::Mention => "mentioned you",
        NotificationType::Status => "posted",
        NotificationType::Reblog => "reblogged your post",
        NotificationType::Favourite => "liked your post",
        NotificationType::Follow => "followed you",
        NotificationType::FollowRequest => "asked to follow you",
        NotificationType::Quote => "reposted your post with their words",
        NotificationType::Update => "edited a post",
        NotificationType::AdminSignUp => "signed up",
        NotificationType::AdminReport => "was reported",
        NotificationType::Poll => "ended a poll",
        NotificationType::QuotedUpdate => "edited a post you quoted",
    };
    NoticeLine {
        who: who(roost, &n.account),
        text,
        when: human_time(n.notification.created_at, roost),
        card: n.status.as_ref().map(|s| card(roost, s, Some(me))),
    }
}

/// The notifications page's lines: one about a post a `hide` filter takes out of
/// notifications is left out, one that `warn` or `blur` matches is collapsed.
pub fn notices(roost: &Roost, items: &[NotificationView], me: &Account) -> Vec<NoticeLine> {
    items
        .iter()
        .filter_map(|n| {
            let mut line = notice(roost, n, me);
            if let Some(s) = &n.status {
                let shown = cards_in(
                    roost,
                    std::slice::from_ref(s),
                    Some(me),
                    FilterContext::Notifications,
                )
                .pop()?;
                line.card = Some(shown);
            }
            Some(line)
        })
        .collect()
}

/// `?max_id=…` / `?min_id=…` of a timeline page.
#[derive(Debug, Default, serde::Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    pub max_id: Option<String>,
    #[serde(default)]
    pub min_id: Option<String>,
}

impl PageQuery {
    /// The page to read; an unparsable cursor is ignored (the first page is shown).
    pub fn page(&self, limit: u32) -> roost_core::model::Page {
        let id = |s: &Option<String>| s.as_deref().and_then(|s| s.parse::<roost_core::Id>().ok());
        roost_core::model::Page {
            max_id: id(&self.max_id),
            min_id: id(&self.min_id),
            since_id: None,
            limit,
        }
    }

    /// The same URL path with `?max_id=` / `?min_id=` to the neighbouring pages of a page
    /// read with [`PageQuery::page`]`(PAGE_SIZE)`: no "older" link after a short page
    /// (the end), unless it was a `min_id` page (short only at the newest end).
    pub fn links(&self, path: &str, views: &[StatusView]) -> (Option<String>, Option<String>) {
        let (Some(first), Some(last)) = (views.first(), views.last()) else {
            // An empty page past the end still offers the way back.
            return (None, self.max_id.as_ref().map(|_| path.to_string()));
        };
        let at_end = views.len() < PAGE_SIZE as usize && self.min_id.is_none();
        let older = (!at_end).then(|| format!("{path}?max_id={}", last.status.id));
        let newer = (self.max_id.is_some() || self.min_id.is_some())
            .then(|| format!("{path}?min_id={}", first.status.id));
        (older, newer)
    }
}

pub const PAGE_SIZE: u32 = 20;
