//! `/filters`: the user's keyword filters with a form to make one, and `/filters/ID`
//! to edit or delete one; the forms post to `/filters` and `/filters/ID/{save,delete}`.
//! Keywords are typed one per line; a leading `=` is none of Mastodon's syntax, so
//! whole-word matching is one checkbox for all of a filter's keywords.

use crate::error::WebError;
use crate::layout::{render, Layout};
use crate::session::{Viewer, WebForm};
use crate::statuses::back_with;
use crate::WebState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use roost_core::model::{Filter, FilterContext};
use roost_core::usecase::{FilterInput, KeywordChange};
use roost_core::Id;

/// A filter as the pages show and edit it.
pub struct FilterLine {
    pub id: String,
    pub title: String,
    pub keywords: String,
    pub whole_word: bool,
    pub action: &'static str,
    /// (context, label, checked)
    pub contexts: Vec<(&'static str, &'static str, bool)>,
    pub expires: Option<String>,
}

fn label(c: FilterContext) -> &'static str {
    match c {
        FilterContext::Home => "Home and lists",
        FilterContext::Notifications => "Notifications",
        FilterContext::Public => "Public timelines",
        FilterContext::Thread => "Conversations (threads)",
        FilterContext::Account => "Profiles",
    }
}

fn line(f: &Filter) -> FilterLine {
    FilterLine {
        id: f.id.to_string(),
        title: f.title.clone(),
        keywords: f
            .keywords
            .iter()
            .map(|k| k.keyword.as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        whole_word: f.keywords.iter().all(|k| k.whole_word),
        action: f.action.as_str(),
        contexts: FilterContext::ALL
            .into_iter()
            .map(|c| (c.as_str(), label(c), f.applies_in(c)))
            .collect(),
        expires: f
            .expires_at
            .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string()),
    }
}

/// The empty form: every context checked, warn.
fn blank() -> FilterLine {
    FilterLine {
        id: String::new(),
        title: String::new(),
        keywords: String::new(),
        whole_word: true,
        action: "warn",
        contexts: FilterContext::ALL
            .into_iter()
            .map(|c| (c.as_str(), label(c), true))
            .collect(),
        expires: None,
    }
}

#[derive(Template)]
#[template(path = "filters.html")]
struct FiltersPage {
    layout: Layout,
    filters: Vec<FilterLine>,
    form: FilterLine,
}

#[derive(Template)]
#[template(path = "filter.html")]
struct FilterPage {
    layout: Layout,
    form: FilterLine,
}

/// The form's fields, read by hand: repeated `context` checkboxes do not fit a struct.
struct FilterForm {
    csrf: String,
    title: String,
    keywords: Vec<String>,
    whole_word: bool,
    action: String,
    context: Vec<String>,
    /// Seconds; empty for never.
    expires_in: String,
}

impl FilterForm {
    fn of(pairs: Vec<(String, String)>) -> FilterForm {
        let mut f = FilterForm {
            csrf: String::new(),
            title: String::new(),
            keywords: Vec::new(),
            whole_word: false,
            action: "warn".into(),
            context: Vec::new(),
            expires_in: String::new(),
        };
        for (k, v) in pairs {
            match k.as_str() {
                "csrf" => f.csrf = v,
                "title" => f.title = v,
                "keywords" => {
                    f.keywords = v
                        .lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(String::from)
                        .collect()
                }
                "whole_word" => f.whole_word = true,
                "action" => f.action = v,
                "context" => f.context.push(v),
                "expires_in" => f.expires_in = v,
                _ => {}
            }
        }
        f
    }

    fn expires(&self) -> Option<Option<u64>> {
        let e = self.expires_in.trim();
        if e.is_empty() {
            Some(None)
        } else {
            // An unreadable value is refused by the use case as 0 is.
            Some(Some(e.parse().unwrap_or(0)))
        }
    }
}

fn filter_id(s: &str) -> Result<Id, WebError> {
    s.parse().map_err(|_| WebError::NotFound)
}

pub async fn index(State(st): State<WebState>, viewer: Viewer) -> Result<Response, WebError> {
    let me = viewer.require("/filters")?;
    let filters = st.roost.filters(me.id).await?;
    render(
        &viewer,
        &FiltersPage {
            layout: Layout::new(&st, &viewer, "Filters").current("filters"),
            filters: filters.iter().map(line).collect(),
            form: blank(),
        },
    )
}

pub async fn create(
    State(st): State<WebState>,
    viewer: Viewer,
    WebForm(pairs): WebForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let me = viewer.require("/filters")?;
    let f = FilterForm::of(pairs);
    viewer.check_csrf(&f.csrf)?;
    let input = FilterInput {
        title: Some(f.title.clone()),
        context: Some(f.context.clone()),
        action: Some(f.action.clone()),
        expires_in: f.expires(),
        keywords: f
            .keywords
            .iter()
            .map(|k| KeywordChange {
                id: None,
                keyword: Some(k.clone()),
                whole_word: Some(f.whole_word),
                destroy: false,
            })
            .collect(),
    };
    let r = st
        .roost
        .create_filter(me.id, input)
        .await
        .map(|_| "Filter created.");
    Ok(back_with(&viewer, r, "/filters")?.into_response())
}

pub async fn show(
    State(st): State<WebState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let me = viewer.require(&format!("/filters/{id}"))?;
    let f = st.roost.filter(me.id, filter_id(&id)?).await?;
    render(
        &viewer,
        &FilterPage {
            layout: Layout::new(&st, &viewer, format!("Filter: {}", f.title)).current("filters"),
            form: line(&f),
        },
    )
}

pub async fn act(
    State(st): State<WebState>,
    viewer: Viewer,
    Path((id, action)): Path<(String, String)>,
    WebForm(pairs): WebForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let back = format!("/filters/{id}");
    let me = viewer.require(&back)?;
    let f = FilterForm::of(pairs);
    viewer.check_csrf(&f.csrf)?;
    let fid = filter_id(&id)?;
    match action.as_str() {
        "delete" => {
            st.roost.delete_filter(me.id, fid).await?;
            Ok(back_with(&viewer, Ok("Filter deleted."), "/filters")?.into_response())
        }
        "save" => {
            let old = st.roost.filter(me.id, fid).await?;
            // The keywords as typed replace the old ones.
            let mut keywords: Vec<KeywordChange> = old
                .keywords
                .iter()
                .map(|k| KeywordChange {
                    id: Some(k.id),
                    destroy: true,
                    ..Default::default()
                })
                .collect();
            keywords.extend(f.keywords.iter().map(|k| KeywordChange {
                id: None,
                keyword: Some(k.clone()),
                whole_word: Some(f.whole_word),
                destroy: false,
            }));
            let input = FilterInput {
                title: Some(f.title.clone()),
                context: Some(f.context.clone()),
                action: Some(f.action.clone()),
                expires_in: f.expires(),
                keywords,
            };
            let r = st
                .roost
                .update_filter(me.id, fid, input)
                .await
                .map(|_| "Filter saved.");
            Ok(back_with(&viewer, r, &back)?.into_response())
        }
        _ => Err(WebError::NotFound),
    }
}
