//! `/api/v2/filters/...`, `/api/v2/filter_keywords/:id`, `/api/v2/filter_statuses/:id`:
//! Mastodon's v2 filters with their keywords and statuses. Someone else's filter (or
//! keyword, or status entry) is "Record not found".

use crate::error::{ApiError, ApiResult};
use crate::extract::{de, Auth, Params};
use crate::wire::{self, Mapper};
use crate::{path_id, AppState};
use axum::extract::{Path, State};
use axum::Json;
use roost_core::usecase::{FilterInput, KeywordChange};
use roost_core::Id;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// Most `keywords_attributes` entries one request carries.
const MAX_KEYWORD_CHANGES: usize = 200;

fn to_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => Some(n.as_i64().unwrap_or(0) != 0),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "on" | "yes" | "t" => Some(true),
            "0" | "false" | "off" | "no" | "f" | "" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn change_of<E: serde::de::Error>(v: &Value) -> Result<KeywordChange, E> {
    let Value::Object(o) = v else {
        return Err(E::custom("keywords_attributes entries must be objects"));
    };
    let id = match o.get("id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(
            s.trim()
                .parse::<Id>()
                .map_err(|_| E::custom("invalid id"))?,
        ),
        Some(Value::Number(n)) => Some(Id(n.as_i64().ok_or_else(|| E::custom("invalid id"))?)),
        Some(_) => return Err(E::custom("invalid id")),
    };
    let keyword = match o.get("keyword") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => Some(other.to_string()),
    };
    let flag = |k: &str| -> Result<Option<bool>, E> {
        match o.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => to_bool(v)
                .map(Some)
                .ok_or_else(|| E::custom(format!("invalid {k}"))),
        }
    };
    Ok(KeywordChange {
        id,
        keyword,
        whole_word: flag("whole_word")?,
        destroy: flag("_destroy")?.unwrap_or(false),
    })
}

/// `keywords_attributes` as JSON arrays, Rails' indexed hashes (`[0][keyword]=`) or one
/// object.
fn keyword_changes<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<KeywordChange>, D::Error> {
    use serde::de::Error;
    let v = Option::<Value>::deserialize(d)?;
    let items: Vec<Value> = match v {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a,
        Some(Value::Object(o)) if o.contains_key("keyword") || o.contains_key("id") => {
            vec![Value::Object(o)]
        }
        Some(Value::Object(o)) => {
            let mut entries: Vec<(String, Value)> = o.into_iter().collect();
            entries.sort_by_key(|(k, _)| (k.parse::<u64>().unwrap_or(u64::MAX), k.clone()));
            entries.into_iter().map(|(_, v)| v).collect()
        }
        Some(_) => return Err(D::Error::custom("invalid keywords_attributes")),
    };
    if items.len() > MAX_KEYWORD_CHANGES {
        return Err(D::Error::custom("too many keywords_attributes"));
    }
    items.iter().map(change_of).collect()
}

/// `expires_in`: seconds, or empty / null for never (present either way).
fn expires<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<u64>>, D::Error> {
    use serde::de::Error;
    match Value::deserialize(d)? {
        Value::Null => Ok(Some(None)),
        Value::String(s) if s.trim().is_empty() => Ok(Some(None)),
        Value::String(s) => s
            .trim()
            .parse::<u64>()
            .map(|n| Some(Some(n)))
            .map_err(|_| D::Error::custom("invalid expires_in")),
        Value::Number(n) => n
            .as_u64()
            .map(|n| Some(Some(n)))
            .ok_or_else(|| D::Error::custom("invalid expires_in")),
        _ => Err(D::Error::custom("invalid expires_in")),
    }
}

#[derive(Deserialize)]
pub struct FilterParams {
    #[serde(default, deserialize_with = "de::opt_string")]
    title: Option<String>,
    #[serde(default, deserialize_with = "opt_strings")]
    context: Option<Vec<String>>,
    #[serde(default, deserialize_with = "de::opt_string")]
    filter_action: Option<String>,
    #[serde(default, deserialize_with = "expires")]
    expires_in: Option<Option<u64>>,
    #[serde(default, deserialize_with = "keyword_changes")]
    keywords_attributes: Vec<KeywordChange>,
}

/// A present `key[]` list (possibly empty), or absent.
pub(crate) fn opt_strings<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Vec<String>>, D::Error> {
    de::strings(d).map(Some)
}

impl FilterParams {
    fn input(self) -> FilterInput {
        FilterInput {
            title: self.title,
            context: self.context,
            action: self.filter_action,
            expires_in: self.expires_in,
            keywords: self.keywords_attributes,
        }
    }
}

pub async fn list(State(st): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<wire::Filter>>> {
    let me = auth.user("read:filters")?;
    let m = Mapper::new(&st.roost.cfg);
    let filters = st.roost.filters(me.id).await?;
    Ok(Json(filters.iter().map(|f| m.filter(f)).collect()))
}

pub async fn post(
    State(st): State<AppState>,
    auth: Auth,
    Params(p): Params<FilterParams>,
) -> ApiResult<Json<wire::Filter>> {
    let me = auth.user("write:filters")?;
    let f = st.roost.create_filter(me.id, p.input()).await?;
    Ok(Json(Mapper::new(&st.roost.cfg).filter(&f)))
}

pub async fn get(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<wire::Filter>> {
    let me = auth.user("read:filters")?;
    let f = st.roost.filter(me.id, path_id(&id)?).await?;
    Ok(Json(Mapper::new(&st.roost.cfg).filter(&f)))
}

pub async fn put(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Params(p): Params<FilterParams>,
) -> ApiResult<Json<wire::Filter>> {
    let me = auth.user("write:filters")?;
    let f = st
        .roost
        .update_filter(me.id, path_id(&id)?, p.input())
        .await?;
    Ok(Json(Mapper::new(&st.roost.cfg).filter(&f)))
}

pub async fn delete(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<wire::Empty>> {
    let me = auth.user("write:filters")?;
    st.roost.delete_filter(me.id, path_id(&id)?).await?;
    Ok(Json(wire::Empty {}))
}

#[derive(Deserialize)]
pub struct KeywordParams {
    #[serde(default, deserialize_with = "de::opt_string")]
    keyword: Option<String>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    whole_word: Option<bool>,
}

/// `GET /api/v2/filters/:id/keywords`
pub async fn keywords(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<wire::FilterKeyword>>> {
    let me = auth.user("read:filters")?;
    let f = st.roost.filter(me.id, path_id(&id)?).await?;
    let m = Mapper::new(&st.roost.cfg);
    Ok(Json(
        f.keywords.iter().map(|k| m.filter_keyword(k)).collect(),
    ))
}

/// `POST /api/v2/filters/:id/keywords`
pub async fn add_keyword(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Params(p): Params<KeywordParams>,
) -> ApiResult<Json<wire::FilterKeyword>> {
    let me = auth.user("write:filters")?;
    let k = st
        .roost
        .add_filter_keyword(me.id, path_id(&id)?, p.keyword, p.whole_word)
        .await?;
    Ok(Json(Mapper::new(&st.roost.cfg).filter_keyword(&k)))
}

/// `GET /api/v2/filter_keywords/:id`
pub async fn get_keyword(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<wire::FilterKeyword>> {
    let me = auth.user("read:filters")?;
    let (_, k) = st.roost.filter_keyword(me.id, path_id(&id)?).await?;
    Ok(Json(Mapper::new(&st.roost.cfg).filter_keyword(&k)))
}

pub async fn put_keyword(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Params(p): Params<KeywordParams>,
) -> ApiResult<Json<wire::FilterKeyword>> {
    let me = auth.user("write:filters")?;
    let k = st
        .roost
        .update_filter_keyword(me.id, path_id(&id)?, p.keyword, p.whole_word)
        .await?;
    Ok(Json(Mapper::new(&st.roost.cfg).filter_keyword(&k)))
}

pub async fn delete_keyword(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<wire::Empty>> {
    let me = auth.user("write:filters")?;
    st.roost.delete_filter_keyword(me.id, path_id(&id)?).await?;
    Ok(Json(wire::Empty {}))
}

#[derive(Deserialize)]
pub struct StatusParams {
    #[serde(default, deserialize_with = "de::opt_id")]
    status_id: Option<Id>,
}

/// `GET /api/v2/filters/:id/statuses`
pub async fn statuses(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<wire::FilterStatus>>> {
    let me = auth.user("read:filters")?;
    let f = st.roost.filter(me.id, path_id(&id)?).await?;
    let m = Mapper::new(&st.roost.cfg);
    Ok(Json(
        f.statuses.iter().map(|s| m.filter_status(s)).collect(),
    ))
}

/// `POST /api/v2/filters/:id/statuses`
pub async fn add_status(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Params(p): Params<StatusParams>,
) -> ApiResult<Json<wire::FilterStatus>> {
    let me = auth.user("write:filters")?;
    let filter = path_id(&id)?;
    let status = p.status_id.ok_or_else(|| {
        ApiError::Unprocessable("Validation failed: Status can't be blank".into())
    })?;
    let s = st.roost.add_filter_status(me.id, filter, status).await?;
    Ok(Json(Mapper::new(&st.roost.cfg).filter_status(&s)))
}

/// `GET /api/v2/filter_statuses/:id`
pub async fn get_status(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<wire::FilterStatus>> {
    let me = auth.user("read:filters")?;
    let s = st.roost.filter_status(me.id, path_id(&id)?).await?;
    Ok(Json(Mapper::new(&st.roost.cfg).filter_status(&s)))
}

/// `DELETE /api/v2/filter_statuses/:id`: answers the removed entry, as Mastodon does.
pub async fn delete_status(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<wire::FilterStatus>> {
    let me = auth.user("write:filters")?;
    let s = st.roost.delete_filter_status(me.id, path_id(&id)?).await?;
    Ok(Json(Mapper::new(&st.roost.cfg).filter_status(&s)))
}
