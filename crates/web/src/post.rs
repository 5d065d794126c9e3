//! `/@username/ID`: a post's own page — the post, its view counts (this page view counts),
//! the thread, comments and their form, repost with your words, the author's previous and
//! next posts, and related posts.

use crate::error::{not_found, WebError};
use crate::layout::{render, Layout};
use crate::profile::acct_of;
use crate::session::Viewer;
use crate::view::{cards, cards_in, excerpt, Card};
use crate::WebState;
use askama::Template;
use axum::extract::{OriginalUri, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use roost_core::model::FilterContext;
use roost_core::model::Visibility;
use roost_core::{CoreError, Id};

const RELATED: u32 = 6;

#[derive(Template)]
#[template(path = "post.html")]
struct PostPage {
    layout: Layout,
    back: String,
    back_encoded: String,
    signed_in: bool,
    max_chars: usize,
    focus: Card,
    ancestors: Vec<Card>,
    comments: Vec<Card>,
    related: Vec<Card>,
    previous: Option<String>,
    next: Option<String>,
    /// Comments keep the post's audience (a followers-only post gets followers-only
    /// comments).
    reply_visibility: &'static str,
    mention_prefix: String,
}

pub async fn get(
    State(st): State<WebState>,
    viewer: Viewer,
    OriginalUri(uri): OriginalUri,
    Path((segment, id)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let Some(acct) = acct_of(&segment) else {
        return Ok(not_found(uri.path()));
    };
    let id: Id = id.parse().map_err(|_| WebError::NotFound)?;
    let me = viewer.account.as_ref();
    let viewer_id = me.map(|a| a.id);
    let roost = &st.roost;
    // Check before counting: a reblog's page or a mistyped handle is not a visit.
    let author = roost.lookup(acct).await?;
    let view = match roost.visible_status(id, viewer_id).await {
        Ok(s) => {
            if let Some(original) = s.reblog_of_id {
                return Ok(Redirect::to(&format!("/statuses/{original}")).into_response());
            }
            if s.account_id != author.id {
                return Err(WebError::NotFound);
            }
            roost.view_visible_status(&s, viewer_id).await?
        }
        // Not kept here: fetched live from its home region (transit), counted there.
        Err(CoreError::NotFound(_)) if roost.is_foreign_id(id) => {
            roost.view_status(id, viewer_id).await?
        }
        Err(e) => return Err(e.into()),
    };
    if view.account.id != author.id {
        return Err(WebError::NotFound);
    }
    let canonical = roost.acct(&view.account);
    let (ancestors, comments) = match roost.context(id, viewer_id).await {
        Ok(c) => c,
        // A post shown in transit has no thread kept here.
        Err(CoreError::NotFound(_)) => (Vec::new(), Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let neighbours = if view.transit {
        Default::default()
    } else {
        roost.neighbours(&view, viewer_id).await?
    };
    let related = if view.transit {
        Vec::new()
    } else {
        roost.related(id, viewer_id, RELATED).await?
    };
    // The post itself is always shown, collapsed if a filter of threads matches it.
    let mut focus = cards_in(
        roost,
        std::slice::from_ref(&view),
        me,
        FilterContext::Thread,
    )
    .pop()
    .ok_or(WebError::NotFound)?;
    focus.focus = true;
    let path = format!("/@{canonical}/{id}");
    let base = &roost.cfg.base_url;
    let mut layout = Layout::new(
        &st,
        &viewer,
        format!("{}: {}", focus.author.name, excerpt(&focus.plain, 60)),
    );
    layout.og("og:type", "article");
    layout.og(
        "og:title",
        format!("{} ({})", focus.author.name, focus.author.handle),
    );
    layout.og("og:description", excerpt(&focus.plain, 200));
    layout.og("og:url", format!("{base}{path}"));
    layout.og("og:site_name", roost.cfg.title.clone());
    layout.og("article:published_time", focus.created_iso.clone());
    layout.alternate(
        "alternate",
        "application/activity+json",
        format!(
            "{}/ap/statuses/{id}",
            roost.base_url_of(&view.account.home_region)
        ),
        focus.author.handle.clone(),
    );
    let link = |v: &Option<roost_core::usecase::StatusView>| {
        v.as_ref()
            .map(|s| format!("/@{}/{}", roost.acct(&s.account), s.status.id))
    };
    let mention_prefix = match me {
        Some(m) if m.id != view.account.id => format!("{} ", focus.author.handle),
        _ => String::new(),
    };
    let reply_visibility = match view.status.visibility {
        Visibility::Public => "public",
        Visibility::Unlisted => "unlisted",
        Visibility::Private => "private",
        Visibility::Direct => "direct",
    };
    let page = PostPage {
        layout,
        back_encoded: url::form_urlencoded::byte_serialize(path.as_bytes()).collect(),
        back: path,
        signed_in: me.is_some(),
        max_chars: roost.cfg.max_status_chars,
        ancestors: cards_in(roost, &ancestors, me, FilterContext::Thread),
        comments: cards_in(roost, &comments, me, FilterContext::Thread),
        related: cards(roost, &related, me),
        previous: link(&neighbours.previous),
        next: link(&neighbours.next),
        reply_visibility,
        mention_prefix,
        focus,
    };
    render(&viewer, &page)
}
