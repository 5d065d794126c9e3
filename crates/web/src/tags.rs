//! `/tags/NAME` (and `/tags/NAME.rss`): public posts with a hashtag, CJK tags included.

use crate::error::WebError;
use crate::feeds;
use crate::layout::{render, Layout};
use crate::public::TimelinePage;
use crate::session::Viewer;
use crate::view::{cards_in, PageQuery, PAGE_SIZE};
use crate::WebState;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use roost_core::text;

pub async fn get(
    State(st): State<WebState>,
    viewer: Viewer,
    Path(name): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, WebError> {
    let (name, rss) = match name.strip_suffix(".rss") {
        Some(n) => (n.to_string(), true),
        None => (name, false),
    };
    let tag = text::normalize_tag(name.trim_start_matches('#'));
    if !text::is_valid_tag(&tag) {
        return Err(WebError::NotFound);
    }
    let scope = st.roost.region_scope(false, false);
    let me = viewer.account.as_ref();
    let views = st
        .roost
        .tag_timeline(&tag, me.map(|a| a.id), &scope, q.page(PAGE_SIZE))
        .await?;
    let encoded = text::percent_encode(&tag);
    let path = format!("/tags/{encoded}");
    if rss {
        return feeds::tag_rss(&st, &tag, &path, &views);
    }
    let (older, newer) = q.links(&path, &views);
    let mut layout = Layout::new(&st, &viewer, format!("#{tag}"));
    let feed = format!("{path}.rss");
    layout.alternate(
        "alternate",
        "application/rss+xml",
        &feed,
        format!("#{tag} (RSS)"),
    );
    layout.og("og:title", format!("#{tag}"));
    layout.og("og:type", "website");
    layout.og("og:url", format!("{}{path}", st.roost.cfg.base_url));
    let week = st.roost.tag_history(std::slice::from_ref(&tag)).await?;
    let days = week.get(&tag).map(Vec::as_slice).unwrap_or_default();
    let uses: i64 = days.iter().map(|d| d.uses).sum();
    let today = days.first().map_or(0, |d| d.uses);
    let people = days.iter().map(|d| d.accounts).max().unwrap_or(0);
    let trends = crate::public::trend_lines(&st).await?;
    render(
        &viewer,
        &TimelinePage {
            layout,
            heading: format!("#{tag}"),
            tabs: vec![],
            feed: Some(feed),
            back: path.clone(),
            cards: cards_in(
                &st.roost,
                &views,
                me,
                roost_core::model::FilterContext::Public,
            ),
            older,
            newer,
            empty: "No public posts with this hashtag yet.",
            trends,
            summary: Some(format!(
                "{uses} posts this week, {today} today, by up to {people} people a day"
            )),
        },
    )
}
