//! RSS 2.0 and Atom feeds of a profile and a hashtag. Written with the same compiled
//! templates as the pages (escaping on): two small fixed formats, not worth two more
//! dependency trees.

use crate::error::WebError;
use crate::view::{content_html, excerpt, plain_text};
use crate::WebState;
use askama::Template;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use roost_core::model::Account;
use roost_core::usecase::StatusView;

pub struct Item {
    title: String,
    link: String,
    rfc2822: String,
    rfc3339: String,
    updated_rfc3339: String,
    author: String,
    /// The post as HTML; escaped once more by the template, as both formats expect.
    html: String,
    /// Its files: (URL, length, type); RSS names them as enclosures.
    enclosures: Vec<(String, u64, String)>,
}

#[derive(Template)]
#[template(path = "rss.xml", escape = "html")]
struct Rss<'a> {
    title: &'a str,
    link: &'a str,
    self_url: &'a str,
    description: &'a str,
    updated: Option<String>,
    items: Vec<Item>,
}

#[derive(Template)]
#[template(path = "atom.xml", escape = "html")]
struct Atom<'a> {
    title: &'a str,
    link: &'a str,
    self_url: &'a str,
    description: &'a str,
    updated_rfc3339: String,
    items: Vec<Item>,
}

fn rfc2822(t: jiff::Timestamp) -> String {
    t.strftime("%a, %d %b %Y %H:%M:%S +0000").to_string()
}

fn items(st: &WebState, views: &[StatusView]) -> Vec<Item> {
    views
        .iter()
        // Feeds carry the author's own posts; reblogs point elsewhere.
        .filter(|v| v.reblog.is_none())
        .map(|v| {
            let author = st.roost.acct(&v.account);
            let link = format!("{}/@{}/{}", st.roost.cfg.base_url, author, v.status.id);
            let text = plain_text(&v.status.text);
            let title = if v.status.spoiler_text.is_empty() {
                excerpt(&text, 80)
            } else {
                v.status.spoiler_text.clone()
            };
            Item {
                title,
                link,
                rfc2822: rfc2822(v.status.created_at),
                rfc3339: v.status.created_at.to_string(),
                updated_rfc3339: v
                    .status
                    .edited_at
                    .unwrap_or(v.status.created_at)
                    .to_string(),
                author: format!("@{author}"),
                html: {
                    let mut html = content_html(&st.roost, v);
                    for p in crate::view::pictures(v)
                        .iter()
                        .filter(|p| p.kind == "image")
                    {
                        html.push_str(&format!(
                            "<p><img src=\"{}\" alt=\"{}\" loading=\"lazy\"></p>",
                            html_attr(&p.preview),
                            html_attr(&p.alt)
                        ));
                    }
                    html
                },
                enclosures: v
                    .media
                    .iter()
                    .filter_map(|m| {
                        let f = m.attachment.file.as_ref()?;
                        Some((m.url.clone()?, f.size, f.mime.clone()))
                    })
                    .collect(),
            }
        })
        .collect()
}

/// Text for an HTML attribute value.
fn html_attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn xml(content_type: &'static str, body: String) -> Response {
    // Text stored before input was cleaned, or arriving from another region, may still
    // hold characters XML forbids: the feed must parse whatever it carries.
    let body = roost_core::text::strip_forbidden(&body).into_owned();
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type),
            // Feed readers poll; a few minutes of staleness is fine for them.
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body,
    )
        .into_response()
}

fn newest(views: &[StatusView]) -> Option<jiff::Timestamp> {
    views.iter().map(|v| v.status.created_at).max()
}

pub fn tag_rss(
    st: &WebState,
    tag: &str,
    path: &str,
    views: &[StatusView],
) -> Result<Response, WebError> {
    let base = &st.roost.cfg.base_url;
    let link = format!("{base}{path}");
    let feed = Rss {
        title: &format!("#{tag} · {}", st.roost.cfg.title),
        link: &link,
        self_url: &format!("{link}.rss"),
        description: &format!("Public posts tagged #{tag}"),
        updated: newest(views).map(rfc2822),
        items: items(st, views),
    };
    Ok(xml("application/rss+xml; charset=utf-8", feed.render()?))
}

pub fn profile_feed(
    st: &WebState,
    account: &Account,
    views: &[StatusView],
    atom: bool,
) -> Result<Response, WebError> {
    let base = &st.roost.cfg.base_url;
    let who = crate::view::who(&st.roost, account);
    let link = format!("{base}{}", who.url);
    let title = format!("{} ({})", who.name, who.handle);
    let description = if account.note_source.is_empty() {
        format!("Public posts of {}", who.handle)
    } else {
        plain_text(&account.note_source)
    };
    if atom {
        let feed = Atom {
            title: &title,
            link: &link,
            self_url: &format!("{link}.atom"),
            description: &description,
            updated_rfc3339: newest(views).unwrap_or(account.created_at).to_string(),
            items: items(st, views),
        };
        Ok(xml("application/atom+xml; charset=utf-8", feed.render()?))
    } else {
        let feed = Rss {
            title: &title,
            link: &link,
            self_url: &format!("{link}.rss"),
            description: &description,
            updated: newest(views).map(rfc2822),
            items: items(st, views),
        };
        Ok(xml("application/rss+xml; charset=utf-8", feed.render()?))
    }
}
