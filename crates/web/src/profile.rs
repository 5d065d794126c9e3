//! `/@username` and `/@username@domain` (profiles, also as `.rss` and `.atom`), and the
//! follow / unfollow forms posted to `/@handle/follow` and `/@handle/unfollow`.

use crate::error::{not_found, WebError};
use crate::feeds;
use crate::layout::{render, Layout};
use crate::session::{Viewer, WebForm};
use crate::statuses::{back_with, CsrfForm};
use crate::view::{cards_in, excerpt, plain_text, who, Card, PageQuery, Who, PAGE_SIZE};
use crate::WebState;
use askama::Template;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::response::{IntoResponse, Response};
use roost_core::model::{Account, AccountStatusFilter, Page};
use roost_core::residency::DataClass;

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    layout: Layout,
    who: Who,
    bio_html: String,
    /// (name, value as safe HTML), rendered here from the value's source.
    fields: Vec<(String, String)>,
    posts: i64,
    following: i64,
    followers: i64,
    residency_note: Option<String>,
    show_follow: bool,
    is_me: bool,
    following_them: bool,
    requested: bool,
    follows_you: bool,
    /// Block and mute buttons (signed in, someone else's profile).
    show_safety: bool,
    blocking: bool,
    muting: bool,
    /// They block the viewer: no follow button, their posts are not shown.
    blocked_by: bool,
    back: String,
    cards: Vec<Card>,
    older: Option<String>,
    newer: Option<String>,
    empty: &'static str,
}

/// `@name` or `@name@domain` from the first path segment; None for any other path.
pub(crate) fn acct_of(segment: &str) -> Option<&str> {
    segment.strip_prefix('@').filter(|a| !a.is_empty())
}

pub(crate) async fn account_of(st: &WebState, acct: &str) -> Result<Account, WebError> {
    Ok(st.roost.lookup(acct).await?)
}

/// What a profile of another region can show here, by its home region's policy.
fn residency_note(st: &WebState, a: &Account) -> Option<String> {
    if st.roost.is_local(a) {
        return None;
    }
    let d = st.roost.cfg.cluster.decide(
        &a.home_region,
        &st.roost.cfg.region,
        DataClass::PublicContent,
    );
    Some(if d.persist() {
        format!(
            "This account lives in region {}. Its public posts are copied here as its region's policy allows ({}).",
            a.home_region,
            d.rule()
        )
    } else if d.allowed() {
        format!(
            "This account lives in region {}. Its posts may only be shown here in transit, not stored ({}): follow to see them on your home timeline.",
            a.home_region,
            d.rule()
        )
    } else {
        format!(
            "This account lives in region {}. Its posts are withheld from this region by the residency policy ({}).",
            a.home_region,
            d.rule()
        )
    })
}

pub async fn get(
    State(st): State<WebState>,
    viewer: Viewer,
    OriginalUri(uri): OriginalUri,
    Path(segment): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, WebError> {
    let Some(acct) = acct_of(&segment) else {
        return Ok(not_found(uri.path()));
    };
    let (acct, feed) = if let Some(a) = acct.strip_suffix(".rss") {
        (a, Some(false))
    } else if let Some(a) = acct.strip_suffix(".atom") {
        (a, Some(true))
    } else {
        (acct, None)
    };
    let account = account_of(&st, acct).await?;
    let me = viewer.account.as_ref();
    let filter = AccountStatusFilter::default();
    if let Some(atom) = feed {
        let views = st
            .roost
            .account_statuses(
                account.id,
                None,
                &filter,
                Page {
                    limit: 20,
                    ..Page::default()
                },
            )
            .await?;
        let public: Vec<_> = views
            .into_iter()
            .filter(|v| v.status.visibility == roost_core::model::Visibility::Public)
            .collect();
        return feeds::profile_feed(&st, &account, &public, atom);
    }
    let views = st
        .roost
        .account_statuses(account.id, me.map(|a| a.id), &filter, q.page(PAGE_SIZE))
        .await?;
    let who = who(&st.roost, &account);
    let (older, newer) = q.links(&who.url, &views);
    let rel = match me {
        Some(m) if m.id != account.id => Some(st.roost.relationship(m.id, account.id).await?),
        _ => None,
    };
    let is_me = me.is_some_and(|m| m.id == account.id);
    let mut layout = Layout::new(&st, &viewer, format!("{} ({})", who.name, who.handle));
    if is_me {
        layout = layout.current("profile");
    }
    let base = &st.roost.cfg.base_url;
    layout.og("og:type", "profile");
    layout.og("og:title", format!("{} ({})", who.name, who.handle));
    layout.og(
        "og:description",
        excerpt(&plain_text(&account.note_source), 200),
    );
    layout.og("og:url", format!("{base}{}", who.url));
    layout.og("profile:username", account.username.clone());
    layout.alternate(
        "alternate",
        "application/rss+xml",
        format!("{}.rss", who.url),
        format!("{} (RSS)", who.handle),
    );
    layout.alternate(
        "alternate",
        "application/atom+xml",
        format!("{}.atom", who.url),
        format!("{} (Atom)", who.handle),
    );
    layout.alternate(
        "alternate",
        "application/activity+json",
        format!(
            "{}/ap/users/{}",
            st.roost.base_url_of(&account.home_region),
            account.id
        ),
        who.handle.clone(),
    );
    // A suspended account shows who it was, nothing it said (its posts are hidden too).
    let bio_html = if account.suspended {
        "<p>This account has been suspended.</p>".to_string()
    } else {
        let set = st.roost.custom_emojis();
        let url = |code: &str| set.get(code).map(|e| st.roost.cfg.emoji_url(e));
        let emoji: Option<roost_core::text::EmojiUrl<'_>> =
            (st.roost.is_local(&account) && !set.is_empty()).then_some(&url);
        roost_core::text::render_with_emoji(&account.note_source, base, &|_| None, emoji)
    };
    let fields = if account.suspended {
        Vec::new()
    } else {
        account
            .fields
            .iter()
            .map(|f| {
                let html = roost_core::text::render(&f.value_source, base, &|_| None);
                let html = html
                    .strip_prefix("<p>")
                    .and_then(|h| h.strip_suffix("</p>"))
                    .map(str::to_string)
                    .unwrap_or(html);
                (f.name.clone(), html)
            })
            .collect()
    };
    render(
        &viewer,
        &ProfilePage {
            layout,
            bio_html,
            fields,
            posts: account.statuses_count,
            following: account.following_count,
            followers: account.followers_count,
            residency_note: residency_note(&st, &account),
            show_follow: rel.is_some_and(|r| !r.blocking && !r.blocked_by),
            show_safety: rel.is_some(),
            blocking: rel.as_ref().is_some_and(|r| r.blocking),
            muting: rel.as_ref().is_some_and(|r| r.muting),
            blocked_by: rel.as_ref().is_some_and(|r| r.blocked_by),
            is_me,
            following_them: rel.as_ref().is_some_and(|r| r.following),
            requested: rel.as_ref().is_some_and(|r| r.requested),
            follows_you: rel.as_ref().is_some_and(|r| r.followed_by),
            back: who.url.clone(),
            cards: cards_in(
                &st.roost,
                &views,
                me,
                roost_core::model::FilterContext::Account,
            ),
            older,
            newer,
            empty: "No posts to show.",
            who,
        },
    )
}

pub async fn follow(
    st: State<WebState>,
    viewer: Viewer,
    path: Path<String>,
    form: WebForm<CsrfForm>,
) -> Result<Response, WebError> {
    follow_or_not(st, viewer, path, form, true).await
}

pub async fn unfollow(
    st: State<WebState>,
    viewer: Viewer,
    path: Path<String>,
    form: WebForm<CsrfForm>,
) -> Result<Response, WebError> {
    follow_or_not(st, viewer, path, form, false).await
}

async fn follow_or_not(
    State(st): State<WebState>,
    viewer: Viewer,
    Path(segment): Path<String>,
    WebForm(f): WebForm<CsrfForm>,
    follow: bool,
) -> Result<Response, WebError> {
    let acct = acct_of(&segment).ok_or(WebError::NotFound)?;
    let back = format!("/@{acct}");
    let me = viewer.require(&back)?;
    viewer.check_csrf(&f.csrf)?;
    let target = account_of(&st, acct).await?;
    let result = if follow {
        st.roost.follow(me, target.id, None, None).await.map(|r| {
            if r.requested {
                "Follow request sent."
            } else {
                "Following."
            }
        })
    } else {
        st.roost
            .unfollow(me, target.id)
            .await
            .map(|_| "Unfollowed.")
    };
    back_with(&viewer, result, &back).map(IntoResponse::into_response)
}

/// Block, unblock, mute or unmute the profile's account from its page (or from the
/// settings list, whose form names where to come back to).
async fn safety(
    State(st): State<WebState>,
    viewer: Viewer,
    Path(segment): Path<String>,
    WebForm(f): WebForm<CsrfForm>,
    action: &str,
) -> Result<Response, WebError> {
    let acct = acct_of(&segment).ok_or(WebError::NotFound)?;
    let back = crate::session::local_path(&f.back, &format!("/@{acct}"));
    let me = viewer.require(&back)?;
    viewer.check_csrf(&f.csrf)?;
    let target = account_of(&st, acct).await?;
    let result = match action {
        "block" => st.roost.block(me, target.id).await.map(|_| "Blocked."),
        "unblock" => st.roost.unblock(me, target.id).await.map(|_| "Unblocked."),
        "mute" => st
            .roost
            .mute(me, target.id, true, None)
            .await
            .map(|_| "Muted."),
        "unmute" => st.roost.unmute(me, target.id).await.map(|_| "Unmuted."),
        _ => return Err(WebError::NotFound),
    };
    back_with(&viewer, result, &back).map(IntoResponse::into_response)
}

pub async fn block(
    st: State<WebState>,
    viewer: Viewer,
    path: Path<String>,
    form: WebForm<CsrfForm>,
) -> Result<Response, WebError> {
    safety(st, viewer, path, form, "block").await
}

pub async fn unblock(
    st: State<WebState>,
    viewer: Viewer,
    path: Path<String>,
    form: WebForm<CsrfForm>,
) -> Result<Response, WebError> {
    safety(st, viewer, path, form, "unblock").await
}

pub async fn mute(
    st: State<WebState>,
    viewer: Viewer,
    path: Path<String>,
    form: WebForm<CsrfForm>,
) -> Result<Response, WebError> {
    safety(st, viewer, path, form, "mute").await
}

pub async fn unmute(
    st: State<WebState>,
    viewer: Viewer,
    path: Path<String>,
    form: WebForm<CsrfForm>,
) -> Result<Response, WebError> {
    safety(st, viewer, path, form, "unmute").await
}
