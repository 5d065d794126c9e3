//! `/lists` (the user's lists and a form to make one) and `/lists/ID` (the list's
//! timeline, its members, forms to rename or delete it and to add or remove members);
//! the forms post to `/lists` and `/lists/ID/{rename,delete,add,remove}`.

use crate::error::WebError;
use crate::layout::{render, Layout};
use crate::session::{Viewer, WebForm};
use crate::statuses::back_with;
use crate::view::{cards_in, who, Card, PageQuery, Who, PAGE_SIZE};
use crate::WebState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use roost_core::model::{FilterContext, Page};
use roost_core::{CoreError, Id};
use serde::Deserialize;

/// A list as the pages show it.
pub struct ListLine {
    pub id: String,
    pub title: String,
    pub replies_policy: &'static str,
    pub exclusive: bool,
}

fn line(l: &roost_core::model::List) -> ListLine {
    ListLine {
        id: l.id.to_string(),
        title: l.title.clone(),
        replies_policy: l.replies_policy.as_str(),
        exclusive: l.exclusive,
    }
}

#[derive(Template)]
#[template(path = "lists.html")]
struct ListsPage {
    layout: Layout,
    lists: Vec<ListLine>,
}

#[derive(Template)]
#[template(path = "list.html")]
struct ListPage {
    layout: Layout,
    list: ListLine,
    /// Each member and their account ID (for the remove button).
    members: Vec<(Who, String)>,
    back: String,
    cards: Vec<Card>,
    older: Option<String>,
    newer: Option<String>,
    empty: &'static str,
}

#[derive(Deserialize)]
pub struct ListForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    replies_policy: String,
    #[serde(default)]
    exclusive: Option<String>,
    /// A member's handle (`name` or `name@domain`) to add, or account ID to remove.
    #[serde(default)]
    account: String,
}

fn list_id(s: &str) -> Result<Id, WebError> {
    s.parse().map_err(|_| WebError::NotFound)
}

pub async fn index(State(st): State<WebState>, viewer: Viewer) -> Result<Response, WebError> {
    let me = viewer.require("/lists")?;
    let lists = st.roost.lists(me.id).await?;
    render(
        &viewer,
        &ListsPage {
            layout: Layout::new(&st, &viewer, "Lists").current("lists"),
            lists: lists.iter().map(line).collect(),
        },
    )
}

pub async fn create(
    State(st): State<WebState>,
    viewer: Viewer,
    WebForm(f): WebForm<ListForm>,
) -> Result<Response, WebError> {
    let me = viewer.require("/lists")?;
    viewer.check_csrf(&f.csrf)?;
    let policy = (!f.replies_policy.is_empty()).then_some(f.replies_policy.as_str());
    let made = st
        .roost
        .create_list(me.id, Some(&f.title), policy, Some(f.exclusive.is_some()))
        .await;
    match made {
        Ok(l) => Ok(
            back_with(&viewer, Ok("List created."), &format!("/lists/{}", l.id))?.into_response(),
        ),
        Err(e) => Ok(back_with(&viewer, Err(e), "/lists")?.into_response()),
    }
}

pub async fn show(
    State(st): State<WebState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, WebError> {
    let path = format!("/lists/{id}");
    let me = viewer.require(&path)?;
    let lid = list_id(&id)?;
    let list = st.roost.list(me.id, lid).await?;
    let members = st
        .roost
        .list_members(
            me.id,
            lid,
            Page {
                limit: 0,
                ..Page::default()
            },
        )
        .await?;
    let views = st
        .roost
        .list_timeline(me.id, lid, q.page(PAGE_SIZE))
        .await?;
    let (older, newer) = q.links(&path, &views);
    render(
        &viewer,
        &ListPage {
            layout: Layout::new(&st, &viewer, format!("List: {}", list.title)).current("lists"),
            list: line(&list),
            members: members
                .accounts
                .iter()
                .map(|a| (who(&st.roost, a), a.id.to_string()))
                .collect(),
            back: path,
            cards: cards_in(&st.roost, &views, Some(me), FilterContext::Home),
            older,
            newer,
            empty: "No posts from this list's members yet.",
        },
    )
}

pub async fn act(
    State(st): State<WebState>,
    viewer: Viewer,
    Path((id, action)): Path<(String, String)>,
    WebForm(f): WebForm<ListForm>,
) -> Result<Response, WebError> {
    let back = format!("/lists/{id}");
    let me = viewer.require(&back)?;
    viewer.check_csrf(&f.csrf)?;
    let lid = list_id(&id)?;
    let r: Result<&str, CoreError> = match action.as_str() {
        "rename" => {
            let policy = (!f.replies_policy.is_empty()).then_some(f.replies_policy.as_str());
            st.roost
                .update_list(
                    me.id,
                    lid,
                    Some(&f.title),
                    policy,
                    Some(f.exclusive.is_some()),
                )
                .await
                .map(|_| "List saved.")
        }
        "delete" => {
            st.roost.delete_list(me.id, lid).await?;
            return Ok(back_with(&viewer, Ok("List deleted."), "/lists")?.into_response());
        }
        "add" => {
            let account = st
                .roost
                .lookup(f.account.trim().trim_start_matches('@'))
                .await;
            match account {
                Ok(a) => match st.roost.add_list_accounts(me.id, lid, &[a.id]).await {
                    Ok(()) => Ok("Added to the list."),
                    Err(CoreError::NotFound(_)) => {
                        // The list is the user's (checked above): the account is not followed.
                        st.roost.list(me.id, lid).await?;
                        Err(CoreError::Validation(
                            "You can only add accounts you follow.".into(),
                        ))
                    }
                    Err(e) => Err(e),
                },
                Err(CoreError::NotFound(_)) => {
                    Err(CoreError::Validation("No such account.".into()))
                }
                Err(e) => Err(e),
            }
        }
        "remove" => {
            let target: Id = f
                .account
                .parse()
                .map_err(|_| WebError::BadRequest("Unknown account.".into()))?;
            st.roost
                .remove_list_accounts(me.id, lid, &[target])
                .await
                .map(|_| "Removed from the list.")
        }
        _ => return Err(WebError::NotFound),
    };
    Ok(back_with(&viewer, r, &back)?.into_response())
}
