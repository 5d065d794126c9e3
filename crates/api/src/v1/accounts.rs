//! `/api/v1/accounts/...`

use crate::error::{ApiError, ApiResult};
use crate::extract::{de, Auth, ClientIp, Params};
use crate::oauth::token::token;
use crate::paging::{accounts_page, link, PageParams, Paged};
use crate::wire::{self, Mapper};
use crate::{path_id, AppState};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::Json;
use roost_core::model::{AccountStatusFilter, Visibility};
use roost_core::usecase::Registration;
use roost_core::Id;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct RegisterParams {
    #[serde(default, deserialize_with = "de::opt_string")]
    username: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    email: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    password: Option<String>,
    #[serde(default, deserialize_with = "de::bool")]
    agreement: bool,
    #[serde(default, deserialize_with = "de::opt_string")]
    locale: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    reason: Option<String>,
}

/// Registration needs an app token (`client_credentials`), as in Mastodon.
pub async fn register(
    State(st): State<AppState>,
    auth: Auth,
    ClientIp(client_ip): ClientIp,
    headers: HeaderMap,
    Params(p): Params<RegisterParams>,
) -> ApiResult<Json<wire::Token>> {
    let ctx = auth.app()?;
    if !ctx.scopes.allows("write:accounts") {
        return Err(ApiError::Forbidden(
            "This action is outside the authorized scopes".into(),
        ));
    }
    st.roost
        .limits
        .sign_up(client_ip)
        .await
        .map_err(ApiError::TooManyRequests)?;
    let ip = headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(|v| v.trim().to_string());
    let (_, issued) = st
        .roost
        .register(
            ctx.token.app_id,
            &ctx.scopes,
            Registration {
                username: p.username.unwrap_or_default(),
                email: p.email.unwrap_or_default(),
                password: p.password.unwrap_or_default(),
                agreement: p.agreement,
                locale: p.locale,
                ip,
                reason: p.reason,
            },
        )
        .await?;
    Ok(Json(token(&issued)))
}

pub async fn verify_credentials(
    State(st): State<AppState>,
    auth: Auth,
) -> ApiResult<Json<wire::Account>> {
    let ctx = auth.0.as_ref().ok_or_else(ApiError::invalid_token)?;
    Auth::check_approved(ctx)?;
    if !ctx.scopes.allows("read:accounts") && !ctx.scopes.allows("profile") {
        return Err(ApiError::Forbidden(
            "This action is outside the authorized scopes".into(),
        ));
    }
    let account = ctx.account.as_ref().ok_or_else(|| {
        ApiError::Unprocessable("This method requires an authenticated user".into())
    })?;
    credential_account(&st, account).await
}

async fn credential_account(
    st: &AppState,
    account: &roost_core::model::Account,
) -> ApiResult<Json<wire::Account>> {
    let locale = st
        .roost
        .user(account.id)
        .await?
        .map(|u| u.locale)
        .unwrap_or_else(|| "en".into());
    let requests = st.roost.count_follow_requests(account.id).await?;
    let mut out = Mapper::new(&st.roost.cfg).credential_account(account, &locale, requests);
    let defaults = st.roost.posting_defaults(account).await?;
    if let Some(src) = out.source.as_mut() {
        src.privacy = defaults.visibility.as_str();
        src.sensitive = defaults.sensitive;
        if let Some(l) = defaults.language {
            src.language = l;
        }
    }
    out.role = Some(wire::Role::of(st.roost.role_of(account.id).await?));
    let indexable = st.roost.indexable(account.id).await?;
    out.indexable = indexable;
    if let Some(src) = out.source.as_mut() {
        src.indexable = indexable;
    }
    Ok(Json(out))
}

#[derive(Deserialize)]
pub struct UpdateParams {
    #[serde(default, deserialize_with = "de::opt_string")]
    display_name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    note: Option<String>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    locked: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    bot: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    discoverable: Option<bool>,
    #[serde(default)]
    source: Option<SourceParams>,
    /// `fields_attributes[N][name|value]` (an object keyed by index) or a JSON array.
    #[serde(default)]
    fields_attributes: Option<serde_json::Value>,
    /// Mastodon 4.2's opt-in to full-text search of one's public posts.
    #[serde(default, deserialize_with = "de::opt_bool")]
    indexable: Option<bool>,
}

/// The pairs of `fields_attributes`, in index order; 422 for any other shape.
fn fields_of(v: &serde_json::Value) -> ApiResult<Vec<(String, String)>> {
    use serde_json::Value;
    let bad =
        || ApiError::Unprocessable("Validation failed: fields_attributes is malformed".into());
    let items: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        Value::Object(o) => {
            let mut keyed: Vec<(u32, &Value)> = o
                .iter()
                .map(|(k, v)| k.parse::<u32>().map(|k| (k, v)).map_err(|_| bad()))
                .collect::<ApiResult<_>>()?;
            keyed.sort_by_key(|(k, _)| *k);
            keyed.into_iter().map(|(_, v)| v).collect()
        }
        Value::Null => Vec::new(),
        _ => return Err(bad()),
    };
    let text = |v: Option<&Value>| -> ApiResult<String> {
        match v {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(Value::Number(n)) => Ok(n.to_string()),
            Some(_) => Err(bad()),
        }
    };
    items
        .into_iter()
        .map(|f| match f {
            Value::Object(o) => Ok((text(o.get("name"))?, text(o.get("value"))?)),
            _ => Err(bad()),
        })
        .collect()
}

/// `source[privacy]`, `source[sensitive]`, `source[language]`: posting defaults.
#[derive(Deserialize, Default)]
pub struct SourceParams {
    #[serde(default, deserialize_with = "de::opt_string")]
    privacy: Option<String>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    sensitive: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_string")]
    language: Option<String>,
}

pub async fn update_credentials(
    State(st): State<AppState>,
    auth: Auth,
    mut form: crate::upload::Upload<UpdateParams>,
) -> ApiResult<Json<wire::Account>> {
    let me = auth.user("write:accounts")?;
    for (field, role) in [
        ("avatar", roost_core::media::MediaRole::Avatar),
        ("header", roost_core::media::MediaRole::Header),
    ] {
        if let Some(bytes) = form.take(field) {
            st.roost.set_profile_picture(me, role, bytes).await?;
        }
    }
    let p = form.params;
    if let Some(f) = &p.fields_attributes {
        let fields = fields_of(f)?;
        st.roost.set_profile_fields(me, fields).await?;
    }
    if let Some(src) = p.source {
        let privacy = match src
            .privacy
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            None => None,
            Some(v) => Some(Visibility::parse(v).ok_or_else(|| {
                ApiError::Unprocessable(format!(
                    "Validation failed: Default privacy {v} is not included in the list"
                ))
            })?),
        };
        st.roost
            .set_posting_defaults(me, privacy, src.sensitive, src.language)
            .await?;
    }
    // Before the profile update, whose `Update` to other regions carries the flag.
    if let Some(on) = p.indexable {
        st.roost.set_indexable(me.id, on).await?;
    }
    let updated = st
        .roost
        .update_profile(me, p.display_name, p.note, p.locked, p.bot, p.discoverable)
        .await?;
    credential_account(&st, &updated).await
}

pub async fn get(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<wire::Account>> {
    auth.viewer("read:accounts")?;
    let account = st.roost.account(path_id(&id)?).await?;
    Ok(Json(Mapper::new(&st.roost.cfg).account(&account)))
}

#[derive(Deserialize)]
pub struct IdsParams {
    #[serde(default, deserialize_with = "de::ids")]
    id: Vec<Id>,
}

/// `GET /api/v1/accounts?id[]=...` (Mastodon 4.3).
pub async fn get_many(
    State(st): State<AppState>,
    auth: Auth,
    Params(p): Params<IdsParams>,
) -> ApiResult<Json<Vec<wire::Account>>> {
    auth.viewer("read:accounts")?;
    if p.id.len() > 40 {
        return Err(ApiError::Unprocessable(
            "Validation failed: at most 40 ids".into(),
        ));
    }
    let accounts = st.roost.accounts(&p.id).await?;
    Ok(Json(Mapper::new(&st.roost.cfg).accounts(&accounts)))
}

#[derive(Deserialize)]
pub struct LookupParams {
    #[serde(default, deserialize_with = "de::opt_string")]
    acct: Option<String>,
}

pub async fn lookup(
    State(st): State<AppState>,
    auth: Auth,
    Params(p): Params<LookupParams>,
) -> ApiResult<Json<wire::Account>> {
    auth.viewer("read:accounts")?;
    let acct = p
        .acct
        .filter(|a| !a.trim().is_empty())
        .ok_or_else(|| ApiError::Unprocessable("Validation failed: acct is required".into()))?;
    let account = st.roost.lookup(&acct).await?;
    Ok(Json(Mapper::new(&st.roost.cfg).account(&account)))
}

#[derive(Deserialize)]
pub struct StatusesParams {
    #[serde(flatten)]
    page: PageParams,
    #[serde(default, deserialize_with = "de::bool")]
    exclude_replies: bool,
    #[serde(default, deserialize_with = "de::bool")]
    exclude_reblogs: bool,
    #[serde(default, deserialize_with = "de::bool")]
    only_media: bool,
    #[serde(default, deserialize_with = "de::bool")]
    pinned: bool,
    #[serde(default, deserialize_with = "de::opt_string")]
    tagged: Option<String>,
}

pub async fn statuses(
    State(st): State<AppState>,
    auth: Auth,
    uri: Uri,
    Path(id): Path<String>,
    Params(p): Params<StatusesParams>,
) -> ApiResult<Paged<Vec<wire::Status>>> {
    let viewer = auth.viewer("read:statuses")?;
    let filter = AccountStatusFilter {
        exclude_replies: p.exclude_replies,
        exclude_reblogs: p.exclude_reblogs,
        only_media: p.only_media,
        pinned: p.pinned,
        tagged: p.tagged.filter(|t| !t.is_empty()),
    };
    let views = st
        .roost
        .account_statuses(path_id(&id)?, viewer, &filter, p.page.page())
        .await?;
    let bounds = crate::paging::bounds_of(&views, |v| v.status.id);
    Ok(Paged(
        Mapper::new(&st.roost.cfg).statuses(&views),
        link(&st.roost.cfg.base_url, &uri, bounds),
    ))
}

pub async fn followers(
    State(st): State<AppState>,
    auth: Auth,
    uri: Uri,
    Path(id): Path<String>,
    Params(p): Params<PageParams>,
) -> ApiResult<Paged<Vec<wire::Account>>> {
    auth.viewer("read:accounts")?;
    let page = st.roost.followers(path_id(&id)?, p.page()).await?;
    Ok(accounts_page(&st, &uri, page))
}

pub async fn following(
    State(st): State<AppState>,
    auth: Auth,
    uri: Uri,
    Path(id): Path<String>,
    Params(p): Params<PageParams>,
) -> ApiResult<Paged<Vec<wire::Account>>> {
    auth.viewer("read:accounts")?;
    let page = st.roost.following(path_id(&id)?, p.page()).await?;
    Ok(accounts_page(&st, &uri, page))
}

#[derive(Deserialize)]
pub struct FollowParams {
    #[serde(default, deserialize_with = "de::opt_bool")]
    reblogs: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    notify: Option<bool>,
}

pub async fn follow(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Params(p): Params<FollowParams>,
) -> ApiResult<Json<wire::Relationship>> {
    let me = auth.user("write:follows")?;
    let target = path_id(&id)?;
    let rel = st.roost.follow(me, target, p.notify, p.reblogs).await?;
    Ok(Json(Mapper::new(&st.roost.cfg).relationship(target, &rel)))
}

pub async fn unfollow(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<wire::Relationship>> {
    let me = auth.user("write:follows")?;
    let target = path_id(&id)?;
    let rel = st.roost.unfollow(me, target).await?;
    Ok(Json(Mapper::new(&st.roost.cfg).relationship(target, &rel)))
}

pub async fn relationships(
    State(st): State<AppState>,
    auth: Auth,
    Params(p): Params<IdsParams>,
) -> ApiResult<Json<Vec<wire::Relationship>>> {
    let me = auth.user("read:follows")?;
    if p.id.len() > 40 {
        return Err(ApiError::Unprocessable(
            "Validation failed: at most 40 ids".into(),
        ));
    }
    let rels = st.roost.relationships(me.id, &p.id).await?;
    let (notes, endorsed) = st.roost.relationship_extras(me.id, &p.id).await?;
    let m = Mapper::new(&st.roost.cfg);
    Ok(Json(
        rels.iter()
            .map(|(id, r)| {
                let mut out = m.relationship(*id, r);
                out.endorsed = endorsed.contains(id);
                if let Some((_, n)) = notes.iter().find(|(t, _)| t == id) {
                    out.note = n.clone();
                }
                out
            })
            .collect(),
    ))
}
