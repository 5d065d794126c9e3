//! ActivityPub wire types between regions, and the mapping to and from domain types.
//! Kept apart from the domain: these are JSON shapes, nothing more.
//!
//! URIs: actors are `{base}/ap/users/{id}`, notes `{base}/ap/statuses/{id}`, activities
//! `{base}/ap/activities/{id}`; the numeric ID inside is the domain ID, the same in every
//! region (it names its home region). A region may only speak for URIs under its own base and IDs it minted
//! (`convert::id_of_region`).

use roost_core::media::MediaRole;
use roost_core::model::{Account, Status, Visibility};
use roost_core::Id;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const AS_CONTEXT: &str = "https://www.w3.org/ns/activitystreams";
pub const SECURITY_CONTEXT: &str = "https://w3id.org/security/v1";
pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";
pub const CONTENT_TYPE: &str = "application/activity+json";

pub fn actor_uri(base: &str, id: Id) -> String {
    format!("{base}/ap/users/{id}")
}
pub fn note_uri(base: &str, id: Id) -> String {
    format!("{base}/ap/statuses/{id}")
}
pub fn activity_uri(base: &str, id: Id) -> String {
    format!("{base}/ap/activities/{id}")
}
pub fn followers_uri(base: &str, id: Id) -> String {
    format!("{base}/ap/users/{id}/followers")
}

/// The ID in `{base}/ap/{kind}/{id}` when the URI is under `base`.
pub fn id_in(uri: &str, base: &str, kind: &str) -> Option<Id> {
    let rest = uri.strip_prefix(base)?.strip_prefix("/ap/")?;
    let rest = rest.strip_prefix(kind)?.strip_prefix('/')?;
    rest.split(['/', '#', '?']).next()?.parse().ok()
}

/// The address of an account: what every activity carries so that the receiver can
/// route to and name the actor without keeping its profile.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    pub id: String,
    pub preferred_username: String,
    #[serde(rename = "roost:homeRegion")]
    pub home_region: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicKeyObj {
    pub id: String,
    pub owner: String,
    pub public_key_pem: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoints {
    pub shared_inbox: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Actor {
    #[serde(rename = "@context", default)]
    pub context: Value,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub preferred_username: String,
    #[serde(default)]
    pub name: String,
    /// The bio as HTML, for other servers; roost receivers render `summary_source` instead.
    #[serde(default)]
    pub summary: String,
    #[serde(rename = "roost:summarySource", default)]
    pub summary_source: String,
    pub url: String,
    pub inbox: String,
    pub outbox: String,
    pub followers: String,
    pub endpoints: Endpoints,
    #[serde(default)]
    pub manually_approves_followers: bool,
    #[serde(default)]
    pub discoverable: bool,
    #[serde(default)]
    pub bot: bool,
    pub published: String,
    pub public_key: PublicKeyObj,
    #[serde(rename = "roost:homeRegion")]
    pub home_region: String,
    /// Suspended by its home: the document then carries no profile (Mastodon's
    /// `toot:suspended`, with the name set to the username and an empty summary).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub suspended: bool,
    /// Avatar and header: each names its file by SHA-256; a region that may keep the
    /// profile fetches the file through its gate from the home region and checks it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<Picture>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<Picture>,
    /// Profile fields (Mastodon's `PropertyValue`s), part of the public profile.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachment: Vec<PropertyValue>,
    /// Mastodon's `indexable`: the account lets its public posts be found by full-text
    /// search, in every region that keeps them. Absent (None) on the actors that come with
    /// live posts, which are never indexed; a receiver changes nothing then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indexable: Option<bool>,
}

/// A profile picture of an actor (ActivityStreams `Image`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Picture {
    #[serde(rename = "type")]
    pub kind: String,
    pub media_type: String,
    /// The home region's gate-served address of the file.
    pub url: String,
    #[serde(rename = "roost:sha256")]
    pub sha256: String,
}

impl Picture {
    /// The picture of a stored file name (`<sha256>.<ext>`) of `account`.
    fn of(base: &str, account: Id, role: MediaRole, file: Option<&String>) -> Option<Picture> {
        let (hash, ext) = file?.split_once('.')?;
        let mime = roost_core::media::mime_of_extension(ext)?;
        Some(Picture {
            kind: "Image".into(),
            media_type: mime.into(),
            url: format!("{base}{}", RegionFile::Picture(account, role).path()),
            sha256: hash.into(),
        })
    }

    /// The file name a receiver keeps it under, if it is a well-formed image reference
    /// (the name becomes a path: only a hash and a known image extension).
    pub fn file(&self) -> Option<String> {
        if !roost_core::media::is_hash(&self.sha256) || !self.media_type.starts_with("image/") {
            return None;
        }
        let ext = roost_core::media::extension(&self.media_type);
        (ext != "bin").then(|| format!("{}.{ext}", self.sha256))
    }
}

/// A profile field as Mastodon sends it: `value` is HTML for other servers; roost
/// receivers render `value_source` instead, as they do the bio.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PropertyValue {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub value: String,
    #[serde(rename = "roost:valueSource", default)]
    pub value_source: String,
}

/// A file one region serves another through its gate: a post's attachment or an
/// account's profile picture. Names the path it is fetched at and the ledger object both
/// gates record it under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegionFile {
    Attachment(Id),
    Picture(Id, MediaRole),
}

impl RegionFile {
    pub fn path(&self) -> String {
        match self {
            RegionFile::Attachment(id) => format!("/ap/roost/media/{id}"),
            RegionFile::Picture(account, role) => {
                format!("/ap/roost/media/{account}/{}", role.as_str())
            }
        }
    }

    /// `media:ID`, `avatar:ACCOUNT`, `header:ACCOUNT`.
    pub fn object(&self) -> String {
        match self {
            RegionFile::Attachment(id) => format!("media:{id}"),
            RegionFile::Picture(account, role) => format!("{}:{account}", role.as_str()),
        }
    }
}

impl Actor {
    pub fn from_account(a: &Account, base: &str, public_key_pem: &str) -> Actor {
        let id = actor_uri(base, a.id);
        if a.suspended {
            let mut bare = Actor::from_account(
                &address_account(a.id, &a.username, &a.home_region),
                base,
                public_key_pem,
            );
            bare.name = a.username.clone();
            bare.kind = if a.bot { "Service" } else { "Person" }.into();
            bare.published = a.created_at.to_string();
            bare.suspended = true;
            return bare;
        }
        Actor {
            context: serde_json::json!([AS_CONTEXT, SECURITY_CONTEXT]),
            kind: if a.bot { "Service" } else { "Person" }.into(),
            preferred_username: a.username.clone(),
            name: a.display_name.clone(),
            summary: a.note_html.clone(),
            summary_source: a.note_source.clone(),
            url: format!("{base}/@{}", a.username),
            inbox: format!("{id}/inbox"),
            outbox: format!("{id}/outbox"),
            followers: followers_uri(base, a.id),
            endpoints: Endpoints {
                shared_inbox: format!("{base}/ap/inbox"),
            },
            manually_approves_followers: a.locked,
            discoverable: a.discoverable,
            bot: a.bot,
            published: a.created_at.to_string(),
            public_key: PublicKeyObj {
                id: format!("{id}#main-key"),
                owner: id.clone(),
                public_key_pem: public_key_pem.to_string(),
            },
            home_region: a.home_region.clone(),
            suspended: false,
            icon: Picture::of(base, a.id, MediaRole::Avatar, a.avatar.as_ref()),
            image: Picture::of(base, a.id, MediaRole::Header, a.header.as_ref()),
            attachment: a
                .fields
                .iter()
                .map(|f| PropertyValue {
                    kind: "PropertyValue".into(),
                    name: f.name.clone(),
                    value: f.value_html.clone(),
                    value_source: f.value_source.clone(),
                })
                .collect(),
            indexable: None,
            id,
        }
    }

    /// The account as kept by a receiver: with its profile when `with_profile`, else only
    /// its address. The bio and the fields' values are rendered here from their source
    /// (tags linked to `home_base`, the actor's home): HTML from another region is never
    /// kept. The display name is plain text, as in Mastodon. Avatar and header are the
    /// files the actor declares; whether a copy exists here is the receiver's business
    /// (`Roost::keep_profile_pictures`).
    pub fn to_account(&self, id: Id, with_profile: bool, home_base: &str) -> Account {
        let mut a = address_account(id, &self.preferred_username, &self.home_region);
        a.locked = self.manually_approves_followers;
        a.bot = self.bot;
        if let Ok(t) = self.published.parse() {
            a.created_at = t;
        }
        a.suspended = self.suspended;
        if with_profile && !self.suspended {
            a.display_name = self.name.clone();
            a.note_html = roost_core::text::render(&self.summary_source, home_base, &|_| None);
            a.note_source = self.summary_source.clone();
            a.discoverable = self.discoverable;
            a.avatar = self.icon.as_ref().and_then(Picture::file);
            a.header = self.image.as_ref().and_then(Picture::file);
            a.fields = roost_core::usecase::foreign_fields(
                self.attachment
                    .iter()
                    .filter(|p| p.kind == "PropertyValue")
                    .map(|p| (p.name.as_str(), p.value_source.as_str())),
                home_base,
            );
        }
        a
    }

    pub fn address(&self) -> Address {
        Address {
            id: self.id.clone(),
            preferred_username: self.preferred_username.clone(),
            home_region: self.home_region.clone(),
        }
    }
}

/// An account known only by its address.
pub fn address_account(id: Id, username: &str, region: &str) -> Account {
    Account {
        fields: Vec::new(),
        id,
        username: username.to_string(),
        home_region: region.to_string(),
        display_name: String::new(),
        note_source: String::new(),
        note_html: String::new(),
        locked: false,
        bot: false,
        discoverable: false,
        created_at: jiff::Timestamp::from_millisecond(id.unix_ms()).unwrap_or_default(),
        followers_count: 0,
        following_count: 0,
        statuses_count: 0,
        last_status_at: None,
        suspended: false,
        silenced: false,
        moving: false,
        avatar: None,
        header: None,
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Tag {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub href: Option<String>,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Views {
    pub total: i64,
    pub today: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Note {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub attributed_to: String,
    pub content: String,
    /// The text as typed, so that edits and `source` work in every region.
    #[serde(rename = "roost:source", default)]
    pub source: String,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub sensitive: bool,
    pub published: String,
    #[serde(default)]
    pub updated: Option<String>,
    #[serde(default)]
    pub in_reply_to: Option<String>,
    #[serde(rename = "roost:inReplyToAccount", default)]
    pub in_reply_to_account: Option<String>,
    /// FEP-044f quote posts.
    #[serde(default)]
    pub quote: Option<String>,
    #[serde(default)]
    pub to: Vec<String>,
    #[serde(default)]
    pub cc: Vec<String>,
    #[serde(default)]
    pub tag: Vec<Tag>,
    pub url: String,
    #[serde(default)]
    pub language: Option<String>,
    /// Addresses of the accounts the note mentions, so receivers can route and name them.
    #[serde(rename = "roost:mentions", default)]
    pub mentions: Vec<Address>,
    /// View counts at the home region; present on live (`transit`) fetches.
    #[serde(rename = "roost:views", default)]
    pub views: Option<Views>,
    /// The status's poll with its home's counts (part of the status, its class).
    #[serde(
        rename = "roost:poll",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub poll: Option<NotePoll>,
    /// Media: each names its file by SHA-256; a region that may keep the post fetches
    /// the file through its gate from the home region (`url`) and checks the hash.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachment: Vec<Attachment>,
}

/// A poll as its home region sends it: options, settings and counts.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NotePoll {
    pub options: Vec<String>,
    #[serde(rename = "expiresAt")]
    pub expires_at: String,
    #[serde(default)]
    pub multiple: bool,
    #[serde(rename = "hideTotals", default)]
    pub hide_totals: bool,
    #[serde(default)]
    pub votes: Vec<i64>,
    #[serde(default)]
    pub voters: i64,
}

impl NotePoll {
    /// A poll as its home tallies it (options, counts, settings; never who voted).
    pub fn of(p: &roost_core::model::Poll) -> NotePoll {
        NotePoll {
            expires_at: p.expires_at.to_string(),
            multiple: p.multiple,
            hide_totals: p.hide_totals,
            voters: p.voters_count,
            votes: p.votes.clone(),
            options: p.options.clone(),
        }
    }
}

/// An attachment of a note (ActivityStreams `Document`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    #[serde(rename = "type")]
    pub kind: String,
    pub media_type: String,
    /// The home region's gate-served address of the file.
    pub url: String,
    /// The description (alt text).
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub blurhash: Option<String>,
    #[serde(default)]
    pub width: Option<u32>,
    #[serde(default)]
    pub height: Option<u32>,
    #[serde(rename = "roost:id")]
    pub id: String,
    #[serde(rename = "roost:sha256")]
    pub sha256: String,
    #[serde(rename = "roost:mediaKind")]
    pub media_kind: String,
    #[serde(rename = "roost:focus", default)]
    pub focus: Option<(f64, f64)>,
}

/// The files a note names, for the receiver (kept under `store`, relayed under `transit`).
pub fn foreign_media(note: &Note) -> Vec<roost_core::media::ForeignMedia> {
    note.attachment
        .iter()
        .take(4)
        .filter_map(|a| {
            Some(roost_core::media::ForeignMedia {
                id: a.id.parse().ok()?,
                kind: roost_core::media::MediaKind::parse(&a.media_kind)?,
                mime: a.media_type.clone(),
                sha256: a.sha256.clone(),
                description: a.name.clone().unwrap_or_default(),
                focus: a.focus.unwrap_or((0.0, 0.0)),
                size: a.width.zip(a.height),
                blurhash: a.blurhash.clone(),
            })
        })
        .collect()
}

/// The attachments of a note, from the status's media rows.
pub fn attachments_of(base: &str, media: &[roost_core::media::MediaAttachment]) -> Vec<Attachment> {
    media
        .iter()
        .filter_map(|m| {
            let f = m.file.as_ref()?;
            Some(Attachment {
                kind: "Document".into(),
                media_type: f.mime.clone(),
                url: format!("{base}{}", RegionFile::Attachment(m.id).path()),
                name: Some(m.description.clone()).filter(|d| !d.is_empty()),
                blurhash: m.blurhash.clone(),
                width: m.size.map(|s| s.0),
                height: m.size.map(|s| s.1),
                id: m.id.to_string(),
                sha256: f.hash.clone(),
                media_kind: m.kind.as_str().to_string(),
                focus: Some(m.focus),
            })
        })
        .collect()
}

/// An activity; `object` is a URI or an embedded object depending on the type.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Activity {
    #[serde(rename = "@context", default)]
    pub context: Value,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub actor: String,
    #[serde(default)]
    pub object: Value,
    #[serde(default)]
    pub to: Vec<String>,
    #[serde(default)]
    pub cc: Vec<String>,
    #[serde(default)]
    pub published: Option<String>,
    /// The actor's address (see [`Address`]).
    #[serde(rename = "roost:actor", default)]
    pub actor_address: Address,
    /// `roost:Vote`: the chosen option indices.
    #[serde(
        rename = "roost:choices",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub choices: Vec<u32>,
    /// A `Delete` of a Person that moved: its new actor (another region's), which the
    /// receivers' followers follow before the old account is forgotten.
    #[serde(
        rename = "roost:movedTo",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub moved_to: Option<String>,
}

/// `to`/`cc` for a status's visibility, as Mastodon writes them.
pub fn audience(
    v: Visibility,
    followers: &str,
    mentioned: &[String],
) -> (Vec<String>, Vec<String>) {
    let mut cc: Vec<String> = mentioned.to_vec();
    let to = match v {
        Visibility::Public => {
            cc.push(followers.to_string());
            vec![PUBLIC.to_string()]
        }
        Visibility::Unlisted => {
            cc.push(PUBLIC.to_string());
            vec![followers.to_string()]
        }
        Visibility::Private => vec![followers.to_string()],
        Visibility::Direct => return (mentioned.to_vec(), Vec::new()),
    };
    (to, cc)
}

/// The visibility `to`/`cc` express.
pub fn visibility_of(to: &[String], cc: &[String], followers: &str) -> Visibility {
    if to.iter().any(|t| t == PUBLIC) {
        Visibility::Public
    } else if cc.iter().any(|t| t == PUBLIC) {
        Visibility::Unlisted
    } else if to.iter().chain(cc).any(|t| t == followers) {
        Visibility::Private
    } else {
        Visibility::Direct
    }
}

/// Builds the Note of a status.
#[allow(clippy::too_many_arguments)]
pub fn note_of(
    s: &Status,
    author: &Account,
    base: &str,
    mentions: &[Address],
    tags: &[String],
    reply_base: Option<&str>,
    quote_base: Option<&str>,
    views: Option<Views>,
) -> Note {
    let followers = followers_uri(base, author.id);
    let mentioned: Vec<String> = mentions.iter().map(|m| m.id.clone()).collect();
    let (to, cc) = audience(s.visibility, &followers, &mentioned);
    let mut tag: Vec<Tag> = mentions
        .iter()
        .map(|m| Tag {
            kind: "Mention".into(),
            href: Some(m.id.clone()),
            name: format!("@{}", m.preferred_username),
        })
        .collect();
    tag.extend(tags.iter().map(|t| Tag {
        kind: "Hashtag".into(),
        href: Some(format!("{base}/tags/{t}")),
        name: format!("#{t}"),
    }));
    Note {
        id: note_uri(base, s.id),
        kind: "Note".into(),
        attributed_to: actor_uri(base, author.id),
        content: s.content_html.clone(),
        source: s.text.clone(),
        summary: (!s.spoiler_text.is_empty()).then(|| s.spoiler_text.clone()),
        sensitive: s.sensitive,
        published: s.created_at.to_string(),
        updated: s.edited_at.map(|t| t.to_string()),
        in_reply_to: s
            .in_reply_to_id
            .map(|p| note_uri(reply_base.unwrap_or(base), p)),
        in_reply_to_account: s.in_reply_to_account_id.map(|a| a.to_string()),
        quote: s
            .quote_of_id
            .map(|q| note_uri(quote_base.unwrap_or(base), q)),
        to,
        cc,
        tag,
        url: format!("{base}/@{}/{}", author.username, s.id),
        language: s.language.clone(),
        mentions: mentions.to_vec(),
        views,
        poll: None,
        attachment: Vec::new(),
    }
}

/// The ID at the end of any roost note or actor URI (`.../statuses/{id}`).
pub fn trailing_id(uri: &str) -> Option<Id> {
    uri.trim_end_matches('/')
        .rsplit('/')
        .next()?
        .split(['#', '?'])
        .next()?
        .parse()
        .ok()
}

/// Hashtag names of a note, normalised, without `#`.
pub fn hashtags(note: &Note) -> Vec<String> {
    let mut out: Vec<String> = note
        .tag
        .iter()
        .filter(|t| t.kind == "Hashtag")
        .map(|t| roost_core::text::normalize_tag(t.name.trim_start_matches(['#', '＃'])))
        .filter(|t| roost_core::text::is_valid_tag(t))
        .collect();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_round_trip() {
        let base = "http://127.0.0.1:8081";
        let id = Id(123456789);
        assert_eq!(id_in(&actor_uri(base, id), base, "users"), Some(id));
        assert_eq!(id_in(&note_uri(base, id), base, "statuses"), Some(id));
        assert_eq!(id_in(&note_uri(base, id), "http://other", "statuses"), None);
        assert_eq!(trailing_id(&note_uri(base, id)), Some(id));
    }

    #[test]
    fn actors_carry_pictures_and_fields_receivers_render_again() {
        let base = "http://id.example";
        let hash = roost_core::media::content_hash(b"avatar");
        let mut a = address_account(Id(77), "budi", "id");
        a.avatar = Some(format!("{hash}.png"));
        a.fields = vec![roost_core::model::ProfileField {
            name: "Likes".into(),
            value_source: "<b>tea</b> #cake".into(),
            // What a sender claims as HTML is never kept.
            value_html: "<script>x</script>".into(),
        }];
        let actor = Actor::from_account(&a, base, "pem");
        let icon = actor.icon.clone().unwrap();
        assert_eq!(icon.media_type, "image/png");
        assert_eq!(icon.sha256, hash);
        assert_eq!(icon.url, format!("{base}/ap/roost/media/77/avatar"));
        assert!(actor.image.is_none());
        let json = serde_json::to_value(&actor).unwrap();
        assert_eq!(json["icon"]["roost:sha256"], hash.as_str());
        assert_eq!(json["attachment"][0]["type"], "PropertyValue");
        let back: Actor = serde_json::from_value(json).unwrap();
        let kept = back.to_account(Id(77), true, base);
        assert_eq!(kept.avatar, a.avatar);
        assert_eq!(kept.fields.len(), 1);
        let html = &kept.fields[0].value_html;
        assert!(
            html.starts_with("&lt;b&gt;tea&lt;/b&gt; <a href=\"http://id.example/tags/cake\""),
            "{html}"
        );
        assert!(!html.contains("script"));
        // Only the address: no pictures, no fields.
        let bare = back.to_account(Id(77), false, base);
        assert!(bare.avatar.is_none() && bare.fields.is_empty());
        // A picture that is no image, or whose hash could be a path, is not named.
        let mut odd = icon.clone();
        odd.sha256 = "../../../etc/passwd".into();
        assert_eq!(odd.file(), None);
        let mut odd = icon;
        odd.media_type = "text/html".into();
        assert_eq!(odd.file(), None);
    }

    #[test]
    fn region_files_name_paths_and_ledger_objects() {
        let f = RegionFile::Picture(Id(5), MediaRole::Header);
        assert_eq!(f.path(), "/ap/roost/media/5/header");
        assert_eq!(f.object(), "header:5");
        assert_eq!(RegionFile::Attachment(Id(6)).object(), "media:6");
    }

    #[test]
    fn audience_round_trips_visibility() {
        let f = "http://x/ap/users/1/followers";
        for v in [
            Visibility::Public,
            Visibility::Unlisted,
            Visibility::Private,
            Visibility::Direct,
        ] {
            let (to, cc) = audience(v, f, &["http://y/ap/users/2".into()]);
            assert_eq!(visibility_of(&to, &cc, f), v);
        }
    }
}
