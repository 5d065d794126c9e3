//! Notes and actors to domain types, on the receiving side.

use crate::ap::{self, Address, Note};
use roost_core::model::{Account, NewStatus, Status, StatusEdit, Visibility};
use roost_core::text::{self, MentionRef, ResolvedMention};
use roost_core::Id;
use roost_residency::Cluster;

/// A note's parts, as the domain needs them.
#[derive(Debug)]
pub struct ParsedNote {
    pub status: Status,
    pub mentions: Vec<Address>,
    pub tags: Vec<String>,
}

/// The ID in `region`'s URI `{base}/ap/{kind}/{id}`, only when `region` also minted it
/// (the ID's region number names it in the cluster file). The one ownership rule: a
/// region may only speak for the accounts and posts it is home to.
pub fn id_of_region(cluster: &Cluster, region: &str, uri: &str, kind: &str) -> Option<Id> {
    let spec = cluster.region(region)?;
    let id = ap::id_in(uri, &spec.base_url, kind)?;
    (cluster.region_by_number(id.region())?.code == spec.code).then_some(id)
}

/// The ID of a roost `kind` URI of any region of the cluster, minted by that region.
fn id_of_any(cluster: &Cluster, uri: &str, kind: &str) -> Option<Id> {
    let r = cluster
        .regions
        .values()
        .find(|r| uri.starts_with(&format!("{}/ap/{kind}/", r.base_url)))?;
    id_of_region(cluster, &r.code, uri, kind)
}

/// The account ID of a roost actor URI of any region of the cluster.
pub fn account_id(cluster: &Cluster, uri: &str) -> Option<Id> {
    id_of_any(cluster, uri, "users")
}

/// The status ID of a roost note URI of any region of the cluster.
pub fn status_id(cluster: &Cluster, uri: &str) -> Option<Id> {
    id_of_any(cluster, uri, "statuses")
}

/// Why a note was not read.
#[derive(Debug, thiserror::Error)]
pub enum NoteError {
    /// Its ID or author is not of the region that sent it: a forgery.
    #[error("note is not of the signing region")]
    NotOfRegion,
    #[error("note has no valid `published` time")]
    BadTime,
}

/// Reads a note `origin` sent. Its HTML is rendered here from its source, never taken
/// as sent: another region's markup is not trusted.
pub fn parse_note(cluster: &Cluster, origin: &str, note: &Note) -> Result<ParsedNote, NoteError> {
    let own = |uri: &str, kind: &str| {
        id_of_region(cluster, origin, uri, kind).ok_or(NoteError::NotOfRegion)
    };
    let id = own(&note.id, "statuses")?;
    let author = own(&note.attributed_to, "users")?;
    let origin_base = &cluster
        .region(origin)
        .ok_or(NoteError::NotOfRegion)?
        .base_url;
    let followers = ap::followers_uri(origin_base, author);
    let visibility = ap::visibility_of(&note.to, &note.cc, &followers);
    let created_at = note.published.parse().map_err(|_| NoteError::BadTime)?;
    let status = Status {
        id,
        account_id: author,
        text: note.source.clone(),
        content_html: content_html(cluster, origin, origin_base, note),
        spoiler_text: note.summary.clone().unwrap_or_default(),
        visibility,
        sensitive: note.sensitive,
        language: note.language.clone(),
        in_reply_to_id: note
            .in_reply_to
            .as_deref()
            .and_then(|u| status_id(cluster, u)),
        in_reply_to_account_id: note
            .in_reply_to_account
            .as_deref()
            .and_then(|a| a.parse().ok()),
        reblog_of_id: None,
        quote_of_id: note.quote.as_deref().and_then(|u| status_id(cluster, u)),
        created_at,
        edited_at: note.updated.as_deref().and_then(|u| u.parse().ok()),
        replies_count: 0,
        reblogs_count: 0,
        favourites_count: 0,
        quotes_count: 0,
        pinned: false,
    };
    Ok(ParsedNote {
        status,
        mentions: note.mentions.clone(),
        tags: ap::hashtags(note),
    })
}

/// A note's source rendered as its home renders it: mentions link to the accounts the
/// note names (a bare `@name` is one of the home's), tags to the home's tag pages.
fn content_html(cluster: &Cluster, origin: &str, origin_base: &str, note: &Note) -> String {
    let resolve = |m: &MentionRef| -> Option<ResolvedMention> {
        let home = match &m.domain {
            None => origin,
            Some(d) => cluster.region_by_domain(d)?.code.as_str(),
        };
        let a = note.mentions.iter().find(|a| {
            a.home_region == home && a.preferred_username.eq_ignore_ascii_case(&m.username)
        })?;
        Some(ResolvedMention {
            url: format!(
                "{}/@{}",
                cluster.region(home)?.base_url,
                a.preferred_username
            ),
            username: a.preferred_username.clone(),
        })
    };
    text::render(&note.source, origin_base, &resolve)
}

/// The account an address names, known only by its address.
pub fn address_account(cluster: &Cluster, a: &Address) -> Option<Account> {
    let id = account_id(cluster, &a.id)?;
    let home = cluster.region_by_number(id.region())?;
    if home.code != a.home_region || !crate::valid_username(&a.preferred_username) {
        return None;
    }
    Some(ap::address_account(
        id,
        &a.preferred_username,
        &a.home_region,
    ))
}

pub fn new_status(p: &ParsedNote, mentions: Vec<Id>) -> NewStatus {
    let s = &p.status;
    NewStatus {
        id: s.id,
        account_id: s.account_id,
        text: s.text.clone(),
        content_html: s.content_html.clone(),
        spoiler_text: s.spoiler_text.clone(),
        visibility: s.visibility,
        sensitive: s.sensitive,
        language: s.language.clone(),
        in_reply_to_id: s.in_reply_to_id,
        in_reply_to_account_id: s.in_reply_to_account_id,
        reblog_of_id: None,
        quote_of_id: s.quote_of_id,
        created_at: s.created_at,
        mentions,
        tags: p.tags.clone(),
        idempotency_key: None,
    }
}

pub fn edit_of(p: &ParsedNote, mentions: Vec<Id>) -> StatusEdit {
    let s = &p.status;
    StatusEdit {
        text: s.text.clone(),
        content_html: s.content_html.clone(),
        spoiler_text: s.spoiler_text.clone(),
        sensitive: s.sensitive,
        language: s.language.clone(),
        mentions,
        tags: p.tags.clone(),
        edited_at: s.edited_at.unwrap_or_else(jiff::Timestamp::now),
    }
}

/// A reblog as a status row: no text of its own.
pub fn reblog_status(
    id: Id,
    account: Id,
    of: Id,
    visibility: Visibility,
    at: jiff::Timestamp,
) -> NewStatus {
    NewStatus {
        id,
        account_id: account,
        text: String::new(),
        content_html: String::new(),
        spoiler_text: String::new(),
        visibility,
        sensitive: false,
        language: None,
        in_reply_to_id: None,
        in_reply_to_account_id: None,
        reblog_of_id: Some(of),
        quote_of_id: None,
        created_at: at,
        mentions: Vec::new(),
        tags: Vec::new(),
        idempotency_key: None,
    }
}

/// The poll a note carries, as kept here: settings and options, and the home's counts.
pub fn poll_of(note: &Note) -> Option<(roost_core::model::NewPoll, Vec<i64>, i64)> {
    let p = note.poll.as_ref()?;
    let expires_at = p.expires_at.parse().ok()?;
    let options: Vec<String> = p
        .options
        .iter()
        .map(|o| {
            roost_core::text::strip_forbidden(o)
                .chars()
                .take(100)
                .collect()
        })
        .take(16)
        .collect();
    let mut votes = p.votes.clone();
    votes.resize(options.len(), 0);
    Some((
        roost_core::model::NewPoll {
            options,
            expires_at,
            multiple: p.multiple,
            hide_totals: p.hide_totals,
        },
        votes.into_iter().map(|v| v.max(0)).collect(),
        p.voters.max(0),
    ))
}
