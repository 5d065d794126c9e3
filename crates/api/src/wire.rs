//! Mastodon JSON entities (`mastodon/documentation`, `content/en/entities`) and the
//! mapping from domain types. Kept apart from the domain so either can change alone.

use roost_core::emoji::{self as m_emoji, EmojiSet};
use roost_core::media::MediaRole;
use roost_core::model::{self as m, Account as DAccount, Relationship as DRel};
use roost_core::usecase::{MediaView, NotificationView, QuoteState, RoostConfig, StatusView};
use roost_core::Id;
use serde::Serialize;
use std::sync::Arc;

/// `2019-12-08T03:48:33.901Z`, as Mastodon renders times.
pub fn datetime(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// `2019-12-08`: `last_status_at` is a date, not a time.
pub fn date(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%d").to_string()
}

#[derive(Serialize)]
pub struct Empty {}

/// Mastodon's CustomEmoji.
#[derive(Serialize)]
pub struct CustomEmoji {
    pub shortcode: String,
    pub url: String,
    /// The same file: roost keeps no separate still of an animated emoji.
    pub static_url: String,
    pub visible_in_picker: bool,
    pub category: Option<String>,
}

/// Mastodon's MediaAttachment.
#[derive(Serialize)]
pub struct MediaAttachment {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub url: Option<String>,
    pub preview_url: Option<String>,
    pub remote_url: Option<String>,
    pub text_url: Option<String>,
    pub meta: serde_json::Value,
    pub description: Option<String>,
    pub blurhash: Option<String>,
}

#[derive(Serialize)]
pub struct Field {
    pub name: String,
    pub value: String,
    pub verified_at: Option<String>,
}

#[derive(Serialize)]
pub struct Source {
    pub privacy: &'static str,
    pub sensitive: bool,
    pub language: String,
    pub note: String,
    pub fields: Vec<Field>,
    pub follow_requests_count: i64,
    pub hide_collections: bool,
    pub discoverable: bool,
    pub indexable: bool,
    pub attribution_domains: Vec<String>,
}

#[derive(Serialize)]
pub struct Account {
    pub id: String,
    pub username: String,
    pub acct: String,
    pub display_name: String,
    pub locked: bool,
    pub bot: bool,
    pub discoverable: bool,
    pub indexable: bool,
    pub group: bool,
    pub created_at: String,
    pub note: String,
    pub url: String,
    pub uri: String,
    pub avatar: String,
    pub avatar_static: String,
    pub header: String,
    pub header_static: String,
    pub followers_count: i64,
    pub following_count: i64,
    pub statuses_count: i64,
    pub last_status_at: Option<String>,
    pub hide_collections: bool,
    pub noindex: bool,
    pub emojis: Vec<CustomEmoji>,
    pub roles: Vec<Empty>,
    pub fields: Vec<Field>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// Present (true) only for a suspended account, as in Mastodon.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suspended: Option<bool>,
    /// Present (true) only for a silenced account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limited: Option<bool>,
    /// The signed-in user's own role (CredentialAccount only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    pub roost: AccountExt,
}

/// Mastodon's Role entity.
#[derive(Serialize, Clone)]
pub struct Role {
    pub id: String,
    pub name: String,
    pub color: String,
    /// Mastodon's permission bit field, as a decimal string.
    pub permissions: String,
    pub highlighted: bool,
}

impl Role {
    pub fn of(r: m::Role) -> Role {
        // Mastodon's bits: 1 administrator, 16 manage reports, 32 manage federation,
        // 1024 manage users, 4096 view dashboard... (app/models/user_role.rb).
        let (id, name, permissions, highlighted) = match r {
            m::Role::User => ("-99", "", 0u64, false),
            m::Role::Moderator => ("1", "Moderator", 16 | 1024 | 4096, true),
            m::Role::Admin => ("2", "Admin", 1, true),
            m::Role::Owner => ("3", "Owner", 1, true),
        };
        Role {
            id: id.into(),
            name: name.into(),
            color: String::new(),
            permissions: permissions.to_string(),
            highlighted,
        }
    }
}

/// roost's extension: where the account's data lives.
#[derive(Serialize)]
pub struct AccountExt {
    pub home_region: String,
}

#[derive(Serialize)]
pub struct Mention {
    pub id: String,
    pub username: String,
    pub url: String,
    pub acct: String,
}

#[derive(Serialize)]
pub struct Tag {
    pub name: String,
    pub url: String,
}

#[derive(Serialize)]
pub struct Quote {
    pub state: &'static str,
    pub quoted_status: Option<Box<Status>>,
}

/// A quote inside a quoted status: ID only, as Mastodon does.
#[derive(Serialize)]
pub struct ShallowQuote {
    pub state: &'static str,
    pub quoted_status_id: Option<String>,
}

#[derive(Serialize)]
#[serde(untagged)]
pub enum AnyQuote {
    Full(Quote),
    Shallow(ShallowQuote),
}

#[derive(Serialize)]
pub struct QuoteApproval {
    pub automatic: Vec<&'static str>,
    pub manual: Vec<&'static str>,
    pub current_user: &'static str,
}

#[derive(Serialize)]
pub struct StatusExt {
    pub views_total: i64,
    pub views_today: i64,
    pub home_region: String,
}

#[derive(Serialize)]
pub struct Status {
    pub id: String,
    pub uri: String,
    pub url: Option<String>,
    pub created_at: String,
    pub edited_at: Option<String>,
    pub account: Account,
    pub content: String,
    pub visibility: &'static str,
    pub sensitive: bool,
    pub spoiler_text: String,
    pub media_attachments: Vec<MediaAttachment>,
    pub application: Option<serde_json::Value>,
    pub mentions: Vec<Mention>,
    pub tags: Vec<Tag>,
    pub emojis: Vec<CustomEmoji>,
    pub reblogs_count: i64,
    pub favourites_count: i64,
    pub replies_count: i64,
    pub quotes_count: i64,
    pub in_reply_to_id: Option<String>,
    pub in_reply_to_account_id: Option<String>,
    pub reblog: Option<Box<Status>>,
    pub poll: Option<Poll>,
    pub card: Option<Empty>,
    pub language: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub favourited: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reblogged: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub muted: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bookmarked: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pinned: Option<bool>,
    pub filtered: Vec<FilterResult>,
    pub quote: Option<AnyQuote>,
    pub quote_approval: QuoteApproval,
    pub roost: StatusExt,
}

#[derive(Serialize)]
pub struct Relationship {
    pub id: String,
    pub following: bool,
    pub showing_reblogs: bool,
    pub notifying: bool,
    pub languages: Option<Vec<String>>,
    pub followed_by: bool,
    pub blocking: bool,
    pub blocked_by: bool,
    pub muting: bool,
    pub muting_notifications: bool,
    pub requested: bool,
    pub requested_by: bool,
    pub domain_blocking: bool,
    pub endorsed: bool,
    pub note: String,
}

#[derive(Serialize)]
pub struct Notification {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub group_key: String,
    pub created_at: String,
    pub account: Account,
    pub status: Option<Status>,
}

#[derive(Serialize)]
pub struct Context {
    pub ancestors: Vec<Status>,
    pub descendants: Vec<Status>,
}

#[derive(Serialize)]
pub struct StatusEdit {
    pub content: String,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub created_at: String,
    pub account: Account,
    pub poll: Option<Empty>,
    pub media_attachments: Vec<MediaAttachment>,
    pub emojis: Vec<CustomEmoji>,
}

#[derive(Serialize)]
pub struct StatusSource {
    pub id: String,
    pub text: String,
    pub spoiler_text: String,
}

#[derive(Serialize)]
pub struct Application {
    pub id: String,
    pub name: String,
    pub website: Option<String>,
    pub scopes: Vec<String>,
    pub redirect_uri: String,
    pub redirect_uris: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret_expires_at: Option<i64>,
}

#[derive(Serialize)]
pub struct Token {
    pub access_token: String,
    pub token_type: &'static str,
    pub scope: String,
    pub created_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

#[derive(Serialize)]
pub struct Marker {
    pub last_read_id: String,
    pub version: i64,
    pub updated_at: String,
}

/// Maps domain values to wire entities; needs the region's URLs.
pub struct Mapper<'a> {
    pub cfg: &'a RoostConfig,
    /// The region's custom emoji, taken once per mapper (one atomic load per request),
    /// so that statuses and accounts are matched against them without a query.
    emojis: Arc<EmojiSet>,
}

impl<'a> Mapper<'a> {
    pub fn new(cfg: &'a RoostConfig) -> Self {
        Mapper {
            cfg,
            emojis: cfg.emojis.snapshot(),
        }
    }

    pub fn custom_emoji(&self, e: &m_emoji::CustomEmoji) -> CustomEmoji {
        let url = self.cfg.emoji_url(e);
        CustomEmoji {
            shortcode: e.shortcode.clone(),
            static_url: url.clone(),
            url,
            visible_in_picker: e.visible_in_picker,
            category: e.category.clone(),
        }
    }

    /// The local emoji named in these texts of a LOCAL account or post. Another region's
    /// texts name that region's emoji, which only it knows (and serves): matching them
    /// against ours would show the wrong pictures, so they get none here.
    fn emojis_in<'t>(
        &self,
        home_region: &str,
        texts: impl IntoIterator<Item = &'t str>,
    ) -> Vec<CustomEmoji> {
        if self.emojis.is_empty() || home_region != self.cfg.region {
            return Vec::new();
        }
        self.emojis
            .used_in(texts)
            .into_iter()
            .map(|e| self.custom_emoji(e))
            .collect()
    }

    /// `name` for local accounts, `name@domain` (the home region's domain) otherwise.
    fn acct(&self, a: &DAccount) -> String {
        if a.home_region == self.cfg.region {
            return a.username.clone();
        }
        match self.cfg.cluster.region(&a.home_region) {
            Some(r) => format!("{}@{}", a.username, r.domain()),
            None => format!("{}@{}", a.username, a.home_region),
        }
    }

    /// Base URL of the account's home region: profiles and posts live there.
    fn home_base(&self, region: &str) -> &str {
        match self.cfg.cluster.region(region) {
            Some(r) if region != self.cfg.region => &r.base_url,
            _ => &self.cfg.base_url,
        }
    }

    pub fn account(&self, a: &DAccount) -> Account {
        let local = &self.cfg.base_url;
        let base = self.home_base(&a.home_region);
        let url = format!("{base}/@{}", a.username);
        // Served by this region (its own file, a kept copy, or its transit relay, as the
        // home's policy says); none (or withheld) is the placeholder.
        let picture = |role, placeholder: &str| {
            self.cfg
                .profile_picture_url(a, role)
                .unwrap_or_else(|| format!("{local}/static/{placeholder}"))
        };
        let avatar = picture(MediaRole::Avatar, "avatar.png");
        let header = picture(MediaRole::Header, "header.png");
        let mut out = Account {
            id: a.id.to_string(),
            username: a.username.clone(),
            acct: self.acct(a),
            display_name: a.display_name.clone(),
            locked: a.locked,
            bot: a.bot,
            discoverable: a.discoverable,
            indexable: a.discoverable,
            group: false,
            // Mastodon shows account creation as midnight of that day.
            created_at: format!("{}T00:00:00.000Z", date(a.created_at)),
            note: a.note_html.clone(),
            uri: format!("{base}/ap/users/{}", a.id),
            url,
            avatar: avatar.clone(),
            avatar_static: avatar,
            header: header.clone(),
            header_static: header,
            followers_count: a.followers_count,
            following_count: a.following_count,
            statuses_count: a.statuses_count,
            last_status_at: a.last_status_at.map(date),
            hide_collections: false,
            noindex: false,
            emojis: self.emojis_in(
                &a.home_region,
                [a.display_name.as_str(), a.note_source.as_str()]
                    .into_iter()
                    .chain(
                        a.fields
                            .iter()
                            .flat_map(|f| [f.name.as_str(), f.value_source.as_str()]),
                    ),
            ),
            roles: vec![],
            fields: a
                .fields
                .iter()
                .map(|f| Field {
                    name: f.name.clone(),
                    value: f.value_html.clone(),
                    verified_at: None,
                })
                .collect(),
            source: None,
            suspended: None,
            limited: a.silenced.then_some(true),
            role: None,
            roost: AccountExt {
                home_region: a.home_region.clone(),
            },
        };
        if a.suspended {
            // What Mastodon shows of a suspended account: who it was, nothing it said.
            out.suspended = Some(true);
            out.display_name = String::new();
            out.note = String::new();
            out.fields = vec![];
            out.locked = false;
            out.bot = false;
            out.discoverable = false;
            out.indexable = false;
            out.statuses_count = 0;
            out.followers_count = 0;
            out.following_count = 0;
            out.last_status_at = None;
        }
        out
    }

    /// The signed-in user's own account, with `source`.
    pub fn credential_account(&self, a: &DAccount, locale: &str, follow_requests: i64) -> Account {
        let mut out = self.account(a);
        out.source = Some(Source {
            privacy: "public",
            sensitive: false,
            language: locale.to_string(),
            note: a.note_source.clone(),
            fields: a
                .fields
                .iter()
                .map(|f| Field {
                    name: f.name.clone(),
                    value: f.value_source.clone(),
                    verified_at: None,
                })
                .collect(),
            follow_requests_count: follow_requests,
            hide_collections: false,
            discoverable: a.discoverable,
            indexable: a.discoverable,
            attribution_domains: vec![],
        });
        out
    }

    pub fn status(&self, v: &StatusView) -> Status {
        self.status_at(v, 0)
    }

    fn status_at(&self, v: &StatusView, depth: u8) -> Status {
        let s = &v.status;
        let base = self.home_base(&v.account.home_region);
        let url = format!("{base}/@{}/{}", v.account.username, s.id);
        let quote = v.quote.as_ref().map(|q| {
            let state = match q.state {
                QuoteState::Accepted => "accepted",
                QuoteState::Deleted => "deleted",
                QuoteState::Unauthorized => "unauthorized",
            };
            if depth == 0 {
                AnyQuote::Full(Quote {
                    state,
                    quoted_status: q
                        .status
                        .as_ref()
                        .map(|qs| Box::new(self.status_at(qs, depth + 1))),
                })
            } else {
                AnyQuote::Shallow(ShallowQuote {
                    state,
                    quoted_status_id: (q.state == QuoteState::Accepted)
                        .then(|| q.quoted_id.to_string()),
                })
            }
        });
        let flags = v.flags;
        Status {
            id: s.id.to_string(),
            uri: format!("{base}/ap/statuses/{}", s.id),
            url: if s.reblog_of_id.is_some() {
                None
            } else {
                Some(url)
            },
            created_at: datetime(s.created_at),
            edited_at: s.edited_at.map(datetime),
            account: self.account(&v.account),
            content: s.content_html.clone(),
            visibility: s.visibility.as_str(),
            sensitive: s.sensitive,
            spoiler_text: s.spoiler_text.clone(),
            media_attachments: v.media.iter().map(|m| self.media(m)).collect(),
            application: None,
            mentions: v
                .mentions
                .iter()
                .map(|a| Mention {
                    id: a.id.to_string(),
                    username: a.username.clone(),
                    url: format!("{}/@{}", self.home_base(&a.home_region), a.username),
                    acct: self.acct(a),
                })
                .collect(),
            tags: v
                .tags
                .iter()
                .map(|t| Tag {
                    name: t.clone(),
                    url: format!("{base}/tags/{}", urlencode(t)),
                })
                .collect(),
            emojis: self.emojis_in(
                &v.account.home_region,
                [s.text.as_str(), s.spoiler_text.as_str()],
            ),
            reblogs_count: s.reblogs_count,
            favourites_count: s.favourites_count,
            replies_count: s.replies_count,
            quotes_count: s.quotes_count,
            in_reply_to_id: s.in_reply_to_id.map(|i| i.to_string()),
            in_reply_to_account_id: s.in_reply_to_account_id.map(|i| i.to_string()),
            reblog: v
                .reblog
                .as_ref()
                .map(|r| Box::new(self.status_at(r, depth))),
            poll: v.poll.as_ref().map(|p| self.poll(p)),
            card: None,
            language: s.language.clone(),
            text: None,
            favourited: flags.map(|f| f.favourited),
            reblogged: flags.map(|f| f.reblogged),
            muted: flags.map(|f| f.muted),
            bookmarked: flags.map(|f| f.bookmarked),
            pinned: flags.map(|_| s.pinned),
            filtered: v.filtered.iter().map(|f| self.filter_result(f)).collect(),
            quote,
            quote_approval: QuoteApproval {
                automatic: if s.visibility.is_public() {
                    vec!["public"]
                } else {
                    vec![]
                },
                manual: vec![],
                current_user: if s.visibility.is_public() {
                    "automatic"
                } else {
                    "denied"
                },
            },
            roost: StatusExt {
                views_total: v.views.total,
                views_today: v.views.today,
                home_region: v.account.home_region.clone(),
            },
        }
    }

    /// A status with its source text, as `DELETE` returns it for redrafting.
    pub fn status_with_source(&self, v: &StatusView) -> Status {
        let mut out = self.status(v);
        out.text = Some(v.status.text.clone());
        out
    }

    pub fn statuses(&self, vs: &[StatusView]) -> Vec<Status> {
        vs.iter().map(|v| self.status(v)).collect()
    }

    pub fn accounts(&self, accts: &[DAccount]) -> Vec<Account> {
        accts.iter().map(|a| self.account(a)).collect()
    }

    pub fn relationship(&self, id: Id, r: &DRel) -> Relationship {
        Relationship {
            id: id.to_string(),
            following: r.following,
            showing_reblogs: r.showing_reblogs,
            notifying: r.notifying,
            languages: None,
            followed_by: r.followed_by,
            blocking: r.blocking,
            blocked_by: r.blocked_by,
            muting: r.muting,
            muting_notifications: r.muting_notifications,
            requested: r.requested,
            requested_by: r.requested_by,
            domain_blocking: r.domain_blocking,
            endorsed: false,
            note: String::new(),
        }
    }

    pub fn notification(&self, n: &NotificationView) -> Notification {
        Notification {
            id: n.notification.id.to_string(),
            kind: n.notification.kind.as_str(),
            group_key: roost_core::usecase::notification_groups::group_key(&n.notification),
            created_at: datetime(n.notification.created_at),
            account: self.account(&n.account),
            status: n.status.as_ref().map(|s| self.status(s)),
        }
    }

    /// One version; `media` is the post's attachments (an edit cannot change which files
    /// a post has, so every version shows them).
    pub fn edit(
        &self,
        account: &DAccount,
        r: &m::StatusRevision,
        media: &[MediaView],
    ) -> StatusEdit {
        StatusEdit {
            content: r.content_html.clone(),
            spoiler_text: r.spoiler_text.clone(),
            sensitive: r.sensitive,
            created_at: datetime(r.created_at),
            account: self.account(account),
            poll: None,
            media_attachments: media.iter().map(|v| self.media(v)).collect(),
            // A version keeps only its HTML; shortcodes pass through it as typed.
            emojis: self.emojis_in(
                &account.home_region,
                [r.content_html.as_str(), r.spoiler_text.as_str()],
            ),
        }
    }

    pub fn media(&self, v: &MediaView) -> MediaAttachment {
        let m = &v.attachment;
        let dims = |(w, h): (u32, u32)| {
            serde_json::json!({
                "width": w, "height": h,
                "size": format!("{w}x{h}"),
                "aspect": if h == 0 { 0.0 } else { f64::from(w) / f64::from(h) },
            })
        };
        let mut meta = serde_json::Map::new();
        if let Some(s) = m.size {
            meta.insert("original".into(), dims(s));
        }
        if let Some(s) = m.small {
            meta.insert("small".into(), dims(s));
        }
        meta.insert(
            "focus".into(),
            serde_json::json!({ "x": m.focus.0, "y": m.focus.1 }),
        );
        // Video and audio have no preview of their own: a generic icon stands in.
        let preview_url = v.preview_url.clone().or_else(|| {
            v.url
                .as_ref()
                .map(|_| format!("{}/static/avatar.png", self.cfg.base_url))
        });
        MediaAttachment {
            id: m.id.to_string(),
            kind: m.kind.as_str(),
            url: v.url.clone(),
            preview_url,
            remote_url: None,
            text_url: None,
            meta: serde_json::Value::Object(meta),
            description: Some(m.description.clone()).filter(|d| !d.is_empty()),
            blurhash: m.blurhash.clone(),
        }
    }

    pub fn marker(&self, mk: &m::Marker) -> Marker {
        Marker {
            last_read_id: mk.last_read_id.to_string(),
            version: mk.version,
            updated_at: datetime(mk.updated_at),
        }
    }
}

// --- lists, filters, conversations, followed tags ------------------------------------

#[derive(Serialize)]
pub struct List {
    pub id: String,
    pub title: String,
    pub replies_policy: &'static str,
    pub exclusive: bool,
}

#[derive(Serialize)]
pub struct FilterKeyword {
    pub id: String,
    pub keyword: String,
    pub whole_word: bool,
}

#[derive(Serialize)]
pub struct FilterStatus {
    pub id: String,
    pub status_id: String,
}

#[derive(Serialize)]
pub struct Filter {
    pub id: String,
    pub title: String,
    pub context: Vec<&'static str>,
    pub expires_at: Option<String>,
    pub filter_action: &'static str,
    /// Omitted inside a FilterResult.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keywords: Option<Vec<FilterKeyword>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statuses: Option<Vec<FilterStatus>>,
}

#[derive(Serialize)]
pub struct FilterResult {
    pub filter: Filter,
    pub keyword_matches: Option<Vec<String>>,
    pub status_matches: Option<Vec<String>>,
}

/// Mastodon's v1 filter: one keyword of a filter.
#[derive(Serialize)]
pub struct V1Filter {
    pub id: String,
    pub phrase: String,
    pub context: Vec<&'static str>,
    pub whole_word: bool,
    pub expires_at: Option<String>,
    pub irreversible: bool,
}

#[derive(Serialize)]
pub struct Conversation {
    pub id: String,
    pub unread: bool,
    pub accounts: Vec<Account>,
    pub last_status: Option<Status>,
}

/// The Tag entity of `/api/v1/tags/:name` and `/api/v1/followed_tags`.
#[derive(Serialize)]
pub struct TagEntity {
    pub id: String,
    pub name: String,
    pub url: String,
    pub history: Vec<History>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub following: Option<bool>,
    /// Whether the viewer features it on their profile (featured-tag suggestions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub featuring: Option<bool>,
}

impl Mapper<'_> {
    pub fn list(&self, l: &m::List) -> List {
        List {
            id: l.id.to_string(),
            title: l.title.clone(),
            replies_policy: l.replies_policy.as_str(),
            exclusive: l.exclusive,
        }
    }

    pub fn filter_keyword(&self, k: &m::FilterKeyword) -> FilterKeyword {
        FilterKeyword {
            id: k.id.to_string(),
            keyword: k.keyword.clone(),
            whole_word: k.whole_word,
        }
    }

    pub fn filter_status(&self, s: &m::FilterStatus) -> FilterStatus {
        FilterStatus {
            id: s.id.to_string(),
            status_id: s.status_id.to_string(),
        }
    }

    fn filter_at(&self, f: &m::Filter, parts: bool) -> Filter {
        Filter {
            id: f.id.to_string(),
            title: f.title.clone(),
            context: f.context.iter().map(|c| c.as_str()).collect(),
            expires_at: f.expires_at.map(datetime),
            filter_action: f.action.as_str(),
            keywords: parts.then(|| f.keywords.iter().map(|k| self.filter_keyword(k)).collect()),
            statuses: parts.then(|| f.statuses.iter().map(|s| self.filter_status(s)).collect()),
        }
    }

    pub fn filter(&self, f: &m::Filter) -> Filter {
        self.filter_at(f, true)
    }

    pub fn filter_result(&self, r: &roost_core::filtering::FilterMatch) -> FilterResult {
        FilterResult {
            filter: self.filter_at(&r.filter, false),
            keyword_matches: (!r.keyword_matches.is_empty()).then(|| r.keyword_matches.clone()),
            status_matches: (!r.status_matches.is_empty())
                .then(|| r.status_matches.iter().map(|i| i.to_string()).collect()),
        }
    }

    pub fn v1_filter(&self, f: &m::Filter, k: &m::FilterKeyword) -> V1Filter {
        V1Filter {
            id: k.id.to_string(),
            phrase: k.keyword.clone(),
            context: f.context.iter().map(|c| c.as_str()).collect(),
            whole_word: k.whole_word,
            expires_at: f.expires_at.map(datetime),
            irreversible: f.action == m::FilterAction::Hide,
        }
    }

    pub fn conversation(&self, c: &roost_core::usecase::ConversationView) -> Conversation {
        Conversation {
            id: c.conversation.id.to_string(),
            unread: c.conversation.unread,
            accounts: self.accounts(&c.accounts),
            last_status: c.last_status.as_ref().map(|s| self.status(s)),
        }
    }

    pub fn tag(&self, t: &roost_core::usecase::TagView) -> TagEntity {
        TagEntity {
            // Tags have no row of their own here; the name is their identity.
            id: t.name.clone(),
            url: format!("{}/tags/{}", self.cfg.base_url, urlencode(&t.name)),
            name: t.name.clone(),
            history: history(&t.history),
            following: t.following,
            featuring: None,
        }
    }
}

pub fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_formats() {
        let t: jiff::Timestamp = "2019-12-08T03:48:33.901Z".parse().unwrap();
        assert_eq!(datetime(t), "2019-12-08T03:48:33.901Z");
        let t: jiff::Timestamp = "2019-12-08T03:48:33Z".parse().unwrap();
        assert_eq!(datetime(t), "2019-12-08T03:48:33.000Z");
        assert_eq!(date(t), "2019-12-08");
    }
}

// ---- Polls, scheduled statuses, featured tags, preferences ----

#[derive(Serialize)]
pub struct PollOption {
    pub title: String,
    /// Null while the totals are hidden.
    pub votes_count: Option<i64>,
}

#[derive(Serialize)]
pub struct Poll {
    pub id: String,
    pub expires_at: Option<String>,
    pub expired: bool,
    pub multiple: bool,
    pub votes_count: i64,
    pub voters_count: Option<i64>,
    pub options: Vec<PollOption>,
    pub emojis: Vec<Empty>,
    /// Only for a signed-in viewer (true for the author, as Mastodon's `voted?`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voted: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub own_votes: Option<Vec<u32>>,
}

#[derive(Serialize)]
pub struct ScheduledPollParams {
    pub options: Vec<String>,
    /// A string, as Mastodon stores the request's parameter.
    pub expires_in: String,
    pub multiple: bool,
    pub hide_totals: bool,
}

#[derive(Serialize)]
pub struct ScheduledParams {
    pub text: String,
    pub poll: Option<ScheduledPollParams>,
    pub media_ids: Option<Vec<String>>,
    pub sensitive: Option<bool>,
    pub spoiler_text: Option<String>,
    pub visibility: Option<&'static str>,
    pub in_reply_to_id: Option<String>,
    pub quoted_status_id: Option<String>,
    pub language: Option<String>,
    pub application_id: Option<String>,
    pub scheduled_at: Option<String>,
    pub idempotency: Option<String>,
    pub with_rate_limit: bool,
}

#[derive(Serialize)]
pub struct ScheduledStatus {
    pub id: String,
    pub scheduled_at: String,
    pub params: ScheduledParams,
    pub media_attachments: Vec<Empty>,
}

#[derive(Serialize)]
pub struct FeaturedTag {
    pub id: String,
    pub name: String,
    pub url: String,
    /// A string in Mastodon's entity.
    pub statuses_count: String,
    pub last_status_at: Option<String>,
}

#[derive(Serialize)]
pub struct Preferences {
    #[serde(rename = "posting:default:visibility")]
    pub visibility: &'static str,
    #[serde(rename = "posting:default:sensitive")]
    pub sensitive: bool,
    #[serde(rename = "posting:default:language")]
    pub language: Option<String>,
    #[serde(rename = "posting:default:quote_policy")]
    pub quote_policy: &'static str,
    #[serde(rename = "reading:expand:media")]
    pub expand_media: &'static str,
    #[serde(rename = "reading:expand:spoilers")]
    pub expand_spoilers: bool,
    #[serde(rename = "reading:autoplay:gifs")]
    pub autoplay_gifs: bool,
}

impl<'a> Mapper<'a> {
    pub fn poll(&self, p: &m::Poll) -> Poll {
        let expired = p.expired(jiff::Timestamp::now());
        let hidden = p.hide_totals && !expired;
        let voted = p
            .own_votes
            .as_ref()
            .map(|v| !v.is_empty() || p.viewer_is_author);
        Poll {
            id: p.status_id.to_string(),
            expires_at: Some(datetime(p.expires_at)),
            expired,
            multiple: p.multiple,
            votes_count: p.votes_count(),
            voters_count: Some(p.voters_count),
            options: p
                .options
                .iter()
                .zip(&p.votes)
                .map(|(t, n)| PollOption {
                    title: t.clone(),
                    votes_count: (!hidden).then_some(*n),
                })
                .collect(),
            emojis: vec![],
            voted,
            own_votes: p.own_votes.clone(),
        }
    }

    pub fn scheduled_status(&self, s: &m::ScheduledStatus) -> ScheduledStatus {
        ScheduledStatus {
            id: s.id.to_string(),
            scheduled_at: datetime(s.scheduled_at),
            params: ScheduledParams {
                text: s.text.clone(),
                poll: s.poll.as_ref().map(|p| ScheduledPollParams {
                    options: p.options.clone(),
                    expires_in: p.expires_in.to_string(),
                    multiple: p.multiple,
                    hide_totals: p.hide_totals,
                }),
                media_ids: None,
                sensitive: s.sensitive,
                spoiler_text: s.spoiler_text.clone(),
                visibility: s.visibility.map(|v| v.as_str()),
                in_reply_to_id: s.in_reply_to_id.map(|i| i.to_string()),
                quoted_status_id: s.quoted_status_id.map(|i| i.to_string()),
                language: s.language.clone(),
                application_id: None,
                scheduled_at: None,
                idempotency: s.idempotency_key.clone(),
                with_rate_limit: false,
            },
            media_attachments: vec![],
        }
    }

    /// `owner` is the featuring account: the tag's URL is its profile filtered by the tag.
    pub fn featured_tag(&self, t: &m::FeaturedTag, owner: &DAccount) -> FeaturedTag {
        FeaturedTag {
            id: t.id.to_string(),
            name: t.name.clone(),
            url: format!(
                "{}/@{}/tagged/{}",
                self.home_base(&owner.home_region),
                owner.username,
                urlencode(&t.name)
            ),
            statuses_count: t.statuses_count.to_string(),
            last_status_at: t.last_status_at.map(date),
        }
    }

    pub fn preferences(&self, d: &m::PostingDefaults) -> Preferences {
        Preferences {
            visibility: d.visibility.as_str(),
            sensitive: d.sensitive,
            language: d.language.clone(),
            quote_policy: "public",
            expand_media: "default",
            expand_spoilers: false,
            autoplay_gifs: false,
        }
    }
}

#[derive(Serialize)]
pub struct AnnouncementReaction {
    pub name: String,
    pub count: i64,
    pub me: bool,
}

#[derive(Serialize)]
pub struct Announcement {
    pub id: String,
    pub content: String,
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
    pub all_day: bool,
    pub published_at: String,
    pub updated_at: String,
    pub read: bool,
    pub mentions: Vec<Empty>,
    pub statuses: Vec<Empty>,
    pub tags: Vec<Empty>,
    pub emojis: Vec<CustomEmoji>,
    pub reactions: Vec<AnnouncementReaction>,
}

impl<'a> Mapper<'a> {
    pub fn announcement(&self, a: &m::Announcement) -> Announcement {
        Announcement {
            id: a.id.to_string(),
            content: a.content_html.clone(),
            starts_at: a.starts_at.map(datetime),
            ends_at: a.ends_at.map(datetime),
            all_day: a.all_day,
            published_at: datetime(a.published_at),
            updated_at: datetime(a.updated_at),
            read: a.read,
            mentions: vec![],
            statuses: vec![],
            tags: vec![],
            // The region's own text.
            emojis: self.emojis_in(&self.cfg.region, [a.text.as_str()]),
            reactions: a
                .reactions
                .iter()
                .map(|(name, count, me)| AnnouncementReaction {
                    name: name.clone(),
                    count: *count,
                    me: *me,
                })
                .collect(),
        }
    }
}

// ---- Search, trends and suggestions ----

/// One day of a tag's or link's use; Mastodon sends the numbers as strings.
#[derive(Serialize)]
pub struct History {
    pub day: String,
    pub uses: String,
    pub accounts: String,
}

/// Tag with `history` (search results, trends).
#[derive(Serialize)]
pub struct TagStats {
    pub name: String,
    pub url: String,
    pub history: Vec<History>,
}

#[derive(Serialize)]
pub struct Search {
    pub accounts: Vec<Account>,
    pub statuses: Vec<Status>,
    pub hashtags: Vec<TagStats>,
}

/// A trending link as a PreviewCard, from what roost knows (no page was fetched).
#[derive(Serialize)]
pub struct PreviewCard {
    pub url: String,
    pub title: String,
    pub description: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub author_name: String,
    pub author_url: String,
    pub provider_name: String,
    pub provider_url: String,
    pub html: String,
    pub width: u32,
    pub height: u32,
    pub image: Option<String>,
    pub embed_url: String,
    pub blurhash: Option<String>,
    pub history: Vec<History>,
}

#[derive(Serialize)]
pub struct Suggestion {
    pub source: &'static str,
    pub sources: Vec<&'static str>,
    pub account: Account,
}

fn history(days: &[roost_core::usecase::TagDay]) -> Vec<History> {
    days.iter()
        .map(|d| History {
            day: d.day.to_string(),
            uses: d.uses.to_string(),
            accounts: d.accounts.to_string(),
        })
        .collect()
}

impl Mapper<'_> {
    pub fn tag_stats(&self, t: &roost_core::usecase::TagView) -> TagStats {
        TagStats {
            url: format!("{}/tags/{}", self.cfg.base_url, urlencode(&t.name)),
            name: t.name.clone(),
            history: history(&t.history),
        }
    }

    pub fn search(&self, r: &roost_core::usecase::SearchResults) -> Search {
        Search {
            accounts: self.accounts(&r.accounts),
            statuses: self.statuses(&r.statuses),
            hashtags: r.hashtags.iter().map(|t| self.tag_stats(t)).collect(),
        }
    }

    pub fn link_card(&self, l: &roost_core::usecase::LinkTrend) -> PreviewCard {
        PreviewCard {
            url: l.url.clone(),
            title: l.url.clone(),
            description: String::new(),
            kind: "link",
            author_name: String::new(),
            author_url: String::new(),
            provider_name: l.host.clone(),
            provider_url: String::new(),
            html: String::new(),
            width: 0,
            height: 0,
            image: None,
            embed_url: String::new(),
            blurhash: None,
            history: history(&l.history),
        }
    }

    pub fn suggestion(&self, s: &roost_core::usecase::Suggestion) -> Suggestion {
        use roost_core::store::SuggestionSource as S;
        let (source, sources) = match s.source {
            S::FriendsOfFriends => ("past_interactions", vec!["friends_of_friends"]),
            S::Popular => ("global", vec!["most_followed"]),
        };
        Suggestion {
            source,
            sources,
            account: self.account(&s.account),
        }
    }
}
