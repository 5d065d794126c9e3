//! `/.well-known/oauth-authorization-server`, `/.well-known/nodeinfo`, `/nodeinfo/2.0`.

use crate::error::ApiResult;
use crate::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/.well-known/oauth-authorization-server",
            get(oauth_metadata),
        )
        .route("/.well-known/nodeinfo", get(nodeinfo_links))
        .route("/nodeinfo/2.0", get(nodeinfo_20))
        .route("/nodeinfo/2.1", get(nodeinfo_21))
}

/// RFC 8414 metadata; Mastodon.py refuses password login unless `password` is listed.
async fn oauth_metadata(State(st): State<AppState>) -> Json<Value> {
    let base = &st.roost.cfg.base_url;
    Json(json!({
        "issuer": format!("{base}/"),
        "service_documentation": "https://docs.joinmastodon.org/",
        "authorization_endpoint": format!("{base}/oauth/authorize"),
        "token_endpoint": format!("{base}/oauth/token"),
        "revocation_endpoint": format!("{base}/oauth/revoke"),
        "app_registration_endpoint": format!("{base}/api/v1/apps"),
        "scopes_supported": ["read", "write", "follow", "push", "profile",
            "read:accounts", "read:blocks", "read:bookmarks", "read:favourites", "read:filters",
            "read:follows", "read:lists", "read:mutes", "read:notifications", "read:search",
            "read:statuses", "write:accounts", "write:blocks", "write:bookmarks",
            "write:conversations", "write:favourites", "write:filters", "write:follows",
            "write:lists", "write:media", "write:mutes", "write:notifications", "write:reports",
            "write:statuses", "admin:read", "admin:write", "admin:read:accounts",
            "admin:write:accounts", "admin:read:reports", "admin:write:reports",
            "admin:read:domain_blocks", "admin:write:domain_blocks"],
        "response_types_supported": ["code"],
        // Only `query`: the code comes back in the redirect's query string.
        "response_modes_supported": ["query"],
        "code_challenge_methods_supported": ["S256"],
        "grant_types_supported": ["authorization_code", "password", "client_credentials", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
    }))
}

async fn nodeinfo_links(State(st): State<AppState>) -> Json<Value> {
    Json(json!({
        "links": [
            {
                "rel": "http://nodeinfo.diaspora.software/ns/schema/2.0",
                "href": format!("{}/nodeinfo/2.0", st.roost.cfg.base_url),
            },
            {
                "rel": "http://nodeinfo.diaspora.software/ns/schema/2.1",
                "href": format!("{}/nodeinfo/2.1", st.roost.cfg.base_url),
            },
        ]
    }))
}

async fn nodeinfo_20(State(st): State<AppState>) -> ApiResult<Json<Value>> {
    nodeinfo(&st, "2.0").await
}

async fn nodeinfo_21(State(st): State<AppState>) -> ApiResult<Json<Value>> {
    nodeinfo(&st, "2.1").await
}

/// NodeInfo 2.0 and 2.1 (2.1 adds `software.repository` and `homepage`). Apps built on
/// megalodon (Whalebird, Fedistar) refuse software they do not know unless
/// `metadata.upstream` names the API it implements: Mastodon's.
async fn nodeinfo(st: &AppState, version: &str) -> ApiResult<Json<Value>> {
    let stats = st.roost.instance_stats().await?;
    let mut software = json!({ "name": "roost", "version": env!("CARGO_PKG_VERSION") });
    if version == "2.1" {
        software["homepage"] = json!(st.roost.cfg.base_url);
    }
    Ok(Json(json!({
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": { "outbound": [], "inbound": [] },
        "usage": {
            "users": { "total": stats.user_count, "activeMonth": stats.active_month, "activeHalfyear": stats.active_month },
            "localPosts": stats.status_count,
        },
        // As Mastodon: sign-ups that wait for approval are not open.
        "openRegistrations": st.roost.cfg.registrations_open && !st.roost.cfg.approval_required,
        "metadata": {
            "nodeName": st.roost.cfg.title,
            "nodeDescription": st.roost.cfg.description,
            "region": st.roost.cfg.region,
            "upstream": { "name": "mastodon", "version": crate::v1::instance::MASTODON_VERSION },
        },
    })))
}
