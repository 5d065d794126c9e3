//! `/`, `/public` and `/public/local`: public posts of all regions known here, or of this
//! region only.

use crate::error::WebError;
use crate::layout::{render, Layout};
use crate::session::Viewer;
use crate::view::{cards_in, Card, PageQuery, PAGE_SIZE};
use crate::WebState;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};

#[derive(Template)]
#[template(path = "timeline.html")]
pub(crate) struct TimelinePage {
    pub layout: Layout,
    pub heading: String,
    /// (label, URL, current)
    pub tabs: Vec<(&'static str, &'static str, bool)>,
    pub feed: Option<String>,
    pub back: String,
    pub cards: Vec<Card>,
    pub older: Option<String>,
    pub newer: Option<String>,
    pub empty: &'static str,
    /// The region's trending tags (the panel beside the posts).
    pub trends: Vec<crate::search::TagLine>,
    /// A line under the heading (a tag page's counts).
    pub summary: Option<String>,
}

/// Signed in, the front page is the home timeline; otherwise the public one.
pub async fn index(
    st: State<WebState>,
    viewer: Viewer,
    q: Query<PageQuery>,
) -> Result<Response, WebError> {
    if viewer.account.is_some() {
        return Ok(Redirect::to("/home").into_response());
    }
    timeline(st, viewer, q, false).await
}

pub async fn all(
    st: State<WebState>,
    viewer: Viewer,
    q: Query<PageQuery>,
) -> Result<Response, WebError> {
    timeline(st, viewer, q, false).await
}

pub async fn local(
    st: State<WebState>,
    viewer: Viewer,
    q: Query<PageQuery>,
) -> Result<Response, WebError> {
    timeline(st, viewer, q, true).await
}

async fn timeline(
    State(st): State<WebState>,
    viewer: Viewer,
    Query(q): Query<PageQuery>,
    local_only: bool,
) -> Result<Response, WebError> {
    let me = viewer.account.as_ref();
    let scope = st.roost.region_scope(local_only, false);
    let views = st
        .roost
        .public_timeline(me.map(|a| a.id), &scope, q.page(PAGE_SIZE))
        .await?;
    let path = if local_only {
        "/public/local"
    } else {
        "/public"
    };
    let (older, newer) = q.links(path, &views);
    let trends = trend_lines(&st).await?;
    render(
        &viewer,
        &TimelinePage {
            layout: Layout::new(&st, &viewer, "Public posts").current("public"),
            heading: "Public posts".into(),
            tabs: vec![
                ("All regions", "/public", !local_only),
                ("This region", "/public/local", local_only),
            ],
            feed: None,
            back: path.into(),
            cards: cards_in(
                &st.roost,
                &views,
                me,
                roost_core::model::FilterContext::Public,
            ),
            older,
            newer,
            empty: "No public posts yet.",
            trends,
            summary: None,
        },
    )
}

/// The trends panel: the region's top tags of the week.
pub(crate) async fn trend_lines(st: &WebState) -> Result<Vec<crate::search::TagLine>, WebError> {
    let tags = st.roost.trending_tags(5, 0).await?;
    Ok(tags.iter().map(crate::search::tag_line).collect())
}
