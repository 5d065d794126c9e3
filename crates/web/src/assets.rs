//! Static assets, compiled into the binary. Each is served under a name carrying a hash of
//! its content, so browsers may cache it for a year and a new release is fetched at once.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

struct Asset {
    /// Name without hash, e.g. `roost.css`.
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const ASSETS: [Asset; 3] = [
    Asset {
        name: "roost.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../static/roost.css"),
    },
    Asset {
        name: "roost.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../static/roost.js"),
    },
    Asset {
        name: "roost.svg",
        content_type: "image/svg+xml",
        body: include_bytes!("../static/roost.svg"),
    },
];

/// `roost.css` → `roost-1a2b3c4d.css`, computed once.
fn hashed_names() -> &'static [String; 3] {
    static NAMES: OnceLock<[String; 3]> = OnceLock::new();
    NAMES.get_or_init(|| {
        ASSETS.each_ref().map(|a| {
            let hash = hex::encode(&Sha256::digest(a.body)[..4]);
            let (stem, ext) = a.name.rsplit_once('.').unwrap_or((a.name, ""));
            format!("{stem}-{hash}.{ext}")
        })
    })
}

/// The URL of an asset by its plain name (`roost.css`).
pub fn url(name: &str) -> String {
    ASSETS
        .iter()
        .zip(hashed_names())
        .find(|(a, _)| a.name == name)
        .map(|(_, h)| format!("/static/{h}"))
        .unwrap_or_else(|| format!("/static/{name}"))
}

pub async fn get(Path(file): Path<String>) -> Response {
    for (asset, hashed) in ASSETS.iter().zip(hashed_names()) {
        let cache = if file == *hashed {
            "public, max-age=31536000, immutable"
        } else if file == asset.name {
            // The unhashed name may change with any release.
            "public, max-age=300"
        } else {
            continue;
        };
        return (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, asset.content_type),
                (header::CACHE_CONTROL, cache),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            asset.body,
        )
            .into_response();
    }
    crate::error::not_found("/static/")
}
