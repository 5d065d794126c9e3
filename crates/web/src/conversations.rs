//! `/conversations`: the user's direct messages, one line per thread (who, the latest
//! message, unread), and the form that marks one read.

use crate::error::WebError;
use crate::layout::{render, Layout};
use crate::session::{Viewer, WebForm};
use crate::statuses::{back_with, CsrfForm};
use crate::view::{cards_in, who, Card, Who};
use crate::WebState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use roost_core::model::{FilterContext, Page};

pub struct ConversationLine {
    pub id: String,
    pub with: Vec<Who>,
    pub unread: bool,
    pub last: Option<Card>,
}

#[derive(Template)]
#[template(path = "conversations.html")]
struct ConversationsPage {
    layout: Layout,
    back: String,
    items: Vec<ConversationLine>,
}

pub async fn get(State(st): State<WebState>, viewer: Viewer) -> Result<Response, WebError> {
    let me = viewer.require("/conversations")?;
    let page = Page {
        limit: 40,
        ..Page::default()
    };
    let (items, _) = st.roost.conversations(me.id, page).await?;
    let items = items
        .iter()
        .map(|c| ConversationLine {
            id: c.conversation.id.to_string(),
            with: c.accounts.iter().map(|a| who(&st.roost, a)).collect(),
            unread: c.conversation.unread,
            last: c.last_status.as_ref().and_then(|v| {
                cards_in(
                    &st.roost,
                    std::slice::from_ref(v),
                    Some(me),
                    FilterContext::Thread,
                )
                .pop()
            }),
        })
        .collect();
    render(
        &viewer,
        &ConversationsPage {
            layout: Layout::new(&st, &viewer, "Messages").current("conversations"),
            back: "/conversations".into(),
            items,
        },
    )
}

pub async fn read(
    State(st): State<WebState>,
    viewer: Viewer,
    Path(id): Path<String>,
    WebForm(f): WebForm<CsrfForm>,
) -> Result<Response, WebError> {
    let me = viewer.require("/conversations")?;
    viewer.check_csrf(&f.csrf)?;
    let cid = id.parse().map_err(|_| WebError::NotFound)?;
    st.roost.read_conversation(me.id, cid).await?;
    Ok(back_with(&viewer, Ok("Marked as read."), "/conversations")?.into_response())
}
