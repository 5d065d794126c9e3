//! `/settings/safety`: the accounts the user blocks and mutes (with a button to undo
//! each) and the regions they hide; blocking and muting happen on profile pages.

use crate::error::WebError;
use crate::layout::{render, Layout};
use crate::session::Viewer;
use crate::view::{who, Who};
use crate::WebState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use roost_core::model::Page;

/// The page shows this many of each list, newest first.
const SHOWN: u32 = 40;

#[derive(Template)]
#[template(path = "safety.html")]
struct SafetyPage {
    layout: Layout,
    blocked: Vec<Who>,
    /// The account and, for a mute that ends, when (UTC).
    muted: Vec<(Who, Option<String>)>,
    domains: Vec<String>,
}

pub async fn get(State(st): State<WebState>, viewer: Viewer) -> Result<Response, WebError> {
    let me = viewer.require("/settings/safety")?;
    let page = Page {
        limit: SHOWN,
        ..Page::default()
    };
    let blocked = st.roost.blocks(me.id, page).await?;
    let mutes = st.roost.mutes(me.id, page).await?;
    let domains = st.roost.domain_blocks(me.id, page).await?;
    let muted = mutes
        .accounts
        .accounts
        .iter()
        .map(|a| {
            let until = mutes
                .mutes
                .iter()
                .find(|m| m.target == a.id)
                .and_then(|m| m.expires_at)
                .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string());
            (who(&st.roost, a), until)
        })
        .collect();
    render(
        &viewer,
        &SafetyPage {
            layout: Layout::new(&st, &viewer, "Blocks and mutes").current("profile"),
            blocked: blocked.accounts.iter().map(|a| who(&st.roost, a)).collect(),
            muted,
            domains: domains.domains,
        },
    )
}
