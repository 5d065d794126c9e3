//! Notes and actors to domain types, on the receiving side.

use crate::ap::{self, Address, Note};
use roost_core::model::{Account, NewStatus, Status, StatusEdit, Visibility};
use roost_core::Id;
use roost_residency::Cluster;

/// A note's parts, as the domain needs them.
pub struct ParsedNote {
    pub status: Status,
    pub mentions: Vec<Address>,
    pub tags: Vec<String>,
}

/// The account ID of a roost actor URI of any region of the cluster.
pub fn account_id(cluster: &Cluster, uri: &str) -> Option<Id> {
    let r = cluster
        .regions
        .values()
        .find(|r| uri.starts_with(&format!("{}/ap/users/", r.base_url)))?;
    ap::id_in(uri, &r.base_url, "users")
}

/// The status ID of a roost note URI of any region of the cluster.
pub fn status_id(cluster: &Cluster, uri: &str) -> Option<Id> {
    let r = cluster
        .regions
        .values()
        .find(|r| uri.starts_with(&format!("{}/ap/statuses/", r.base_url)))?;
    ap::id_in(uri, &r.base_url, "statuses")
}

/// Reads a note of `origin_base`'s region. None if it is not one of that region's notes.
pub fn parse_note(cluster: &Cluster, origin_base: &str, note: &Note) -> Option<ParsedNote> {
    let id = ap::id_in(&note.id, origin_base, "statuses")?;
    let author = ap::id_in(&note.attributed_to, origin_base, "users")?;
    let followers = ap::followers_uri(origin_base, author);
    let visibility = ap::visibility_of(&note.to, &note.cc, &followers);
    let created_at = note.published.parse().ok()?;
    let status = Status {
        id,
        account_id: author,
        text: note.source.clone(),
        content_html: note.content.clone(),
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
    Some(ParsedNote {
        status,
        mentions: note.mentions.clone(),
        tags: ap::hashtags(note),
    })
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
