//! Mastodon pagination: `max_id` / `since_id` / `min_id` / `limit` in, a `Link` header out
//! (`next` first — some clients match it with a regex).

use crate::extract::de;
use crate::wire::{self, Mapper};
use crate::AppState;
use axum::http::{header, HeaderValue, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use roost_core::model::Page;
use roost_core::usecase::AccountsPage;
use roost_core::Id;
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Deserialize)]
pub struct PageParams {
    #[serde(default, deserialize_with = "de::opt_id")]
    pub max_id: Option<Id>,
    #[serde(default, deserialize_with = "de::opt_id")]
    pub since_id: Option<Id>,
    #[serde(default, deserialize_with = "de::opt_id")]
    pub min_id: Option<Id>,
    #[serde(default, deserialize_with = "de::opt_u32")]
    pub limit: Option<u32>,
}

impl PageParams {
    pub fn page(&self) -> Page {
        Page {
            max_id: self.max_id,
            since_id: self.since_id,
            min_id: self.min_id,
            limit: self.limit.unwrap_or(0),
        }
    }
}

/// A JSON list with its `Link` header.
pub struct Paged<T>(pub T, pub Option<HeaderValue>);

impl<T: Serialize> IntoResponse for Paged<T> {
    fn into_response(self) -> Response {
        let mut resp = Json(self.0).into_response();
        if let Some(link) = self.1 {
            resp.headers_mut().insert(header::LINK, link);
        }
        resp
    }
}

/// What the `Link` header echoes of the request's own parameters is bounded, so that a
/// request cannot make roost send a header of any size: real filters (`limit`,
/// `types[]`, `local`, `q`...) are short and few.
const MAX_ECHOED_PARAMS: usize = 16;
const MAX_ECHOED_KEY: usize = 64;
const MAX_ECHOED_VALUE: usize = 256;

/// The `Link` header for a page whose rows run from cursor `newest` down to `oldest`.
pub fn link(base_url: &str, uri: &Uri, bounds: Option<(Id, Id)>) -> Option<HeaderValue> {
    let (newest, oldest) = bounds?;
    let kept: Vec<(String, String)> = uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .filter(|(k, v)| {
                    !matches!(k.as_str(), "max_id" | "min_id" | "since_id")
                        && k.len() <= MAX_ECHOED_KEY
                        && v.len() <= MAX_ECHOED_VALUE
                })
                .take(MAX_ECHOED_PARAMS)
                .collect()
        })
        .unwrap_or_default();
    let make = |key: &str, id: Id| {
        let mut ser = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &kept {
            ser.append_pair(k, v);
        }
        ser.append_pair(key, &id.to_string());
        format!("{base_url}{}?{}", uri.path(), ser.finish())
    };
    let value = format!(
        "<{}>; rel=\"next\", <{}>; rel=\"prev\"",
        make("max_id", oldest),
        make("min_id", newest)
    );
    HeaderValue::from_str(&value).ok()
}

/// A page of accounts (followers, reblogged_by, ...) with its `Link` header.
pub fn accounts_page(st: &AppState, uri: &Uri, page: AccountsPage) -> Paged<Vec<wire::Account>> {
    Paged(
        Mapper::new(&st.roost.cfg).accounts(&page.accounts),
        link(&st.roost.cfg.base_url, uri, page.bounds),
    )
}

/// Bounds of a list whose items are their own cursors.
pub fn bounds_of<T>(items: &[T], id: impl Fn(&T) -> Id) -> Option<(Id, Id)> {
    Some((id(items.first()?), id(items.last()?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_echoes_only_bounded_parameters() {
        let huge = "x".repeat(30_000);
        let many: String = (0..100).map(|i| format!("&k{i}=v")).collect();
        let uri: Uri = format!("/api/v1/timelines/public?limit=5&local=1&q={huge}{many}")
            .parse()
            .unwrap();
        let v = link("https://r.example", &uri, Some((Id(9), Id(3)))).unwrap();
        let v = v.to_str().unwrap();
        assert!(v.len() < 2_000, "{} bytes", v.len());
        assert!(v.starts_with("<https://r.example/api/v1/timelines/public?limit=5&local=1&"));
        assert!(v.contains("max_id=3>; rel=\"next\""));
        assert!(!v.contains("xxx"));
    }
}
