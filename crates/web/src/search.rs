//! `/search?q=...`: accounts, tags and posts for a query, as `/api/v2/search` finds them
//! (posts only when signed in, as Mastodon).

use crate::error::WebError;
use crate::layout::{render, Layout};
use crate::session::Viewer;
use crate::view::{cards, who, Card, Who};
use crate::WebState;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use roost_core::text;
use roost_core::usecase::{SearchRequest, TagView};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// A tag with its uses of the last seven days.
pub(crate) struct TagLine {
    pub name: String,
    pub url: String,
    pub uses: i64,
}

pub(crate) fn tag_line(t: &TagView) -> TagLine {
    TagLine {
        url: format!("/tags/{}", text::percent_encode(&t.name)),
        name: t.name.clone(),
        uses: t.history.iter().map(|d| d.uses).sum(),
    }
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    layout: Layout,
    q: String,
    accounts: Vec<Who>,
    tags: Vec<TagLine>,
    cards: Vec<Card>,
    back: String,
    signed_in: bool,
    older: Option<String>,
    newer: Option<String>,
    empty: &'static str,
}

pub async fn get(
    State(st): State<WebState>,
    viewer: Viewer,
    Query(p): Query<SearchQuery>,
) -> Result<Response, WebError> {
    let me = viewer.account.as_ref();
    let q = p.q.trim().to_string();
    let found = st
        .roost
        .search(
            me,
            &SearchRequest {
                q: q.clone(),
                limit: 20,
                ..SearchRequest::default()
            },
        )
        .await?;
    let back = format!("/search?q={}", text::percent_encode(&q));
    let title = if q.is_empty() {
        "Search".to_string()
    } else {
        format!("Search: {q}")
    };
    render(
        &viewer,
        &SearchPage {
            layout: Layout::new(&st, &viewer, title).current("search"),
            accounts: found.accounts.iter().map(|a| who(&st.roost, a)).collect(),
            tags: found.hashtags.iter().map(tag_line).collect(),
            cards: cards(&st.roost, &found.statuses, me),
            signed_in: me.is_some(),
            older: None,
            newer: None,
            empty: "No posts found.",
            back,
            q,
        },
    )
}
