//! `/api/v1/apps`.

use crate::error::{ApiError, ApiResult};
use crate::extract::{de, Auth, Params};
use crate::wire::Application;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use roost_core::model::App;
use roost_core::usecase::NewApp;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct AppParams {
    #[serde(default, deserialize_with = "de::opt_string")]
    client_name: Option<String>,
    /// A string (newline- or space-separated) or a list of URIs.
    #[serde(default, deserialize_with = "de::strings")]
    redirect_uris: Vec<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    scopes: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    website: Option<String>,
}

pub fn application(app: &App, with_secret: bool) -> Application {
    Application {
        id: app.id.to_string(),
        name: app.name.clone(),
        website: app.website.clone(),
        scopes: app.scopes.split(' ').map(String::from).collect(),
        redirect_uri: app.redirect_uris.join("\n"),
        redirect_uris: app.redirect_uris.clone(),
        client_id: with_secret.then(|| app.client_id.clone()),
        client_secret: with_secret.then(|| app.client_secret.clone()),
        client_secret_expires_at: with_secret.then_some(0),
    }
}

pub async fn post(
    State(st): State<AppState>,
    Params(p): Params<AppParams>,
) -> ApiResult<Json<Application>> {
    let name = p.client_name.ok_or_else(|| {
        ApiError::Unprocessable("Validation failed: Application name can't be blank".into())
    })?;
    let redirect_uris: Vec<String> = p
        .redirect_uris
        .iter()
        .flat_map(|s| s.split(['\n', ' ']))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    let app = st
        .roost
        .create_app(NewApp {
            name,
            redirect_uris,
            scopes: p.scopes.unwrap_or_default(),
            website: p.website,
        })
        .await?;
    Ok(Json(application(&app, true)))
}

pub async fn verify_credentials(
    State(st): State<AppState>,
    auth: Auth,
) -> ApiResult<Json<Application>> {
    let ctx = auth.app()?;
    let app = st
        .roost
        .app(ctx.token.app_id)
        .await?
        .ok_or_else(ApiError::invalid_token)?;
    Ok(Json(application(&app, false)))
}
