//! `/api/v1/filters`: Mastodon's compatibility view of v2 filters, one entry per
//! keyword (its ID is the keyword's); `irreversible` is the `hide` action.

use crate::error::{ApiError, ApiResult};
use crate::extract::{de, Auth, Params};
use crate::v2::filters::opt_strings;
use crate::wire::{self, Mapper};
use crate::{path_id, AppState};
use axum::extract::{Path, State};
use axum::Json;
use roost_core::usecase::{FilterInput, KeywordChange};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct V1Params {
    #[serde(default, deserialize_with = "de::opt_string")]
    phrase: Option<String>,
    #[serde(default, deserialize_with = "opt_strings")]
    context: Option<Vec<String>>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    irreversible: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    whole_word: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_u64")]
    expires_in: Option<u64>,
}

impl V1Params {
    fn action(&self) -> Option<String> {
        self.irreversible
            .map(|h| if h { "hide" } else { "warn" }.to_string())
    }
}

pub async fn list(State(st): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<wire::V1Filter>>> {
    let me = auth.user("read:filters")?;
    let m = Mapper::new(&st.roost.cfg);
    let filters = st.roost.filters(me.id).await?;
    Ok(Json(
        filters
            .iter()
            .flat_map(|f| f.keywords.iter().map(|k| m.v1_filter(f, k)))
            .collect(),
    ))
}

pub async fn post(
    State(st): State<AppState>,
    auth: Auth,
    Params(p): Params<V1Params>,
) -> ApiResult<Json<wire::V1Filter>> {
    let me = auth.user("write:filters")?;
    let phrase = p.phrase.clone().unwrap_or_default();
    if phrase.trim().is_empty() {
        return Err(ApiError::Unprocessable(
            "Validation failed: Phrase can't be blank".into(),
        ));
    }
    let input = FilterInput {
        title: Some(phrase.clone()),
        context: p.context.clone(),
        action: p.action(),
        expires_in: p.expires_in.map(Some),
        keywords: vec![KeywordChange {
            id: None,
            keyword: Some(phrase),
            // v1's default is false, v2's true.
            whole_word: Some(p.whole_word.unwrap_or(false)),
            destroy: false,
        }],
    };
    let f = st.roost.create_filter(me.id, input).await?;
    let k = &f.keywords[0];
    Ok(Json(Mapper::new(&st.roost.cfg).v1_filter(&f, k)))
}

pub async fn get(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<wire::V1Filter>> {
    let me = auth.user("read:filters")?;
    let (f, k) = st.roost.filter_keyword(me.id, path_id(&id)?).await?;
    Ok(Json(Mapper::new(&st.roost.cfg).v1_filter(&f, &k)))
}

/// Edits the keyword and the filter it belongs to (context, action, expiry).
pub async fn put(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Params(p): Params<V1Params>,
) -> ApiResult<Json<wire::V1Filter>> {
    let me = auth.user("write:filters")?;
    let kid = path_id(&id)?;
    let (f, _) = st.roost.filter_keyword(me.id, kid).await?;
    let input = FilterInput {
        title: None,
        context: p.context.clone(),
        action: p.action(),
        expires_in: Some(p.expires_in),
        keywords: vec![KeywordChange {
            id: Some(kid),
            keyword: p.phrase.clone(),
            whole_word: p.whole_word,
            destroy: false,
        }],
    };
    let f = st.roost.update_filter(me.id, f.id, input).await?;
    let k = f
        .keywords
        .iter()
        .find(|k| k.id == kid)
        .ok_or_else(|| ApiError::NotFound("Record not found".into()))?;
    Ok(Json(Mapper::new(&st.roost.cfg).v1_filter(&f, k)))
}

/// Removes the keyword; a filter left with nothing to match goes too.
pub async fn delete(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<wire::Empty>> {
    let me = auth.user("write:filters")?;
    let f = st.roost.delete_filter_keyword(me.id, path_id(&id)?).await?;
    if f.keywords.is_empty() && f.statuses.is_empty() {
        st.roost.delete_filter(me.id, f.id).await?;
    }
    Ok(Json(wire::Empty {}))
}
