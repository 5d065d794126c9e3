//! `/notifications`: who followed, liked, reblogged, quoted or mentioned you.

use crate::error::WebError;
use crate::layout::{render, Layout};
use crate::session::Viewer;
use crate::view::{notices, NoticeLine, PageQuery, PAGE_SIZE};
use crate::WebState;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use roost_core::model::NotificationFilter;

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    layout: Layout,
    back: String,
    items: Vec<NoticeLine>,
    older: Option<String>,
}

pub async fn get(
    State(st): State<WebState>,
    viewer: Viewer,
    Query(q): Query<PageQuery>,
) -> Result<Response, WebError> {
    let me = viewer.require("/notifications")?;
    let list = st
        .roost
        .notifications(me.id, &NotificationFilter::default(), q.page(PAGE_SIZE))
        .await?;
    let older = (list.len() == PAGE_SIZE as usize)
        .then(|| list.last())
        .flatten()
        .map(|n| format!("/notifications?max_id={}", n.notification.id));
    render(
        &viewer,
        &NotificationsPage {
            layout: Layout::new(&st, &viewer, "Notifications").current("notifications"),
            back: "/notifications".into(),
            items: notices(&st.roost, &list, me),
            older,
        },
    )
}
