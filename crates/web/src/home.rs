//! `/home`: the signed-in user's home timeline and the compose box.

use crate::error::WebError;
use crate::layout::{render, Layout};
use crate::session::Viewer;
use crate::view::{cards_in, Card, PageQuery, PAGE_SIZE};
use crate::WebState;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    back: String,
    max_chars: usize,
    cards: Vec<Card>,
    older: Option<String>,
    newer: Option<String>,
    empty: &'static str,
}

pub async fn get(
    State(st): State<WebState>,
    viewer: Viewer,
    Query(q): Query<PageQuery>,
) -> Result<Response, WebError> {
    let me = viewer.require("/home")?;
    let views = st.roost.home_timeline(me.id, q.page(PAGE_SIZE)).await?;
    let (older, newer) = q.links("/home", &views);
    render(
        &viewer,
        &HomePage {
            layout: Layout::new(&st, &viewer, "Home").current("home"),
            back: "/home".into(),
            max_chars: st.roost.cfg.max_status_chars,
            cards: cards_in(
                &st.roost,
                &views,
                Some(me),
                roost_core::model::FilterContext::Home,
            ),
            older,
            newer,
            empty: "Nothing here yet. Follow people to see their posts, or write your first post.",
        },
    )
}
