//! `/media/...`: stored files. Public ones at `/media/<sha256>.<ext>` (immutable, cacheable
//! by anyone); private ones at `/media/p/...` signed for one viewer, cached by that viewer
//! only. Both with the stored type, `nosniff`, and `Range` (206/416) for video and audio.

use crate::error::{ApiError, ApiResult};
use crate::{path_id, AppState};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use roost_core::usecase::{FileKey, ServedFile};
use roost_federation::ap::RegionFile;

/// `GET /media/<hash>.<ext>`
pub async fn public(
    State(st): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let hash = file.split('.').next().unwrap_or_default().to_string();
    let f = st.roost.media_file(FileKey::Public { hash }).await?;
    send(&st, f, &headers).await
}

/// `GET /media/p/<media>/<variant>/<viewer>/<expires>/<sig>.<ext>`
pub async fn signed(
    State(st): State<AppState>,
    Path((media, variant, viewer, expires, sig)): Path<(String, String, String, String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let sig = sig.split('.').next().unwrap_or_default().to_string();
    let expires: i64 = expires
        .parse()
        .map_err(|_| ApiError::NotFound("Record not found".into()))?;
    let key = FileKey::Signed {
        media: path_id(&media)?,
        variant,
        viewer: path_id(&viewer)?,
        expires,
        sig,
    };
    let f = st.roost.media_file(key).await?;
    send(&st, f, &headers).await
}

/// `GET /media/t/<media>/<viewer>/<expires>/<sig>.<ext>`: a file of another region's post
/// shown here under `transit`, fetched through the gate from its home (which decides and
/// records the crossing) and passed to the viewer from memory: nothing is written here.
pub async fn relay(
    State(st): State<AppState>,
    Path((media, viewer, expires, sig)): Path<(String, String, String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let media = path_id(&media)?;
    let expires: i64 = expires
        .parse()
        .map_err(|_| ApiError::NotFound("Record not found".into()))?;
    let (region, mime) = st
        .roost
        .check_relay(media, path_id(&viewer)?, expires, &sig)?;
    let bytes = through_gate(&st, &region, &RegionFile::Attachment(media)).await?;
    let etag = format!("\"{}\"", roost_core::media::content_hash(&bytes));
    relayed(bytes, mime, &etag, headers).await
}

/// `GET /media/t/profile/<account>/<avatar|header>/<sha256>.<ext>`: a foreign account's picture
/// shown here under `transit`, fetched through the gate from its home on each request
/// and passed on from memory. Only the file the link names: a picture changed at home
/// since is 404 (the account's next read links the new one).
pub async fn relay_picture(
    State(st): State<AppState>,
    Path((account, role, file)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let account = path_id(&account)?;
    let (region, role, hash, mime) = st.roost.check_picture_relay(account, &role, &file)?;
    let bytes = through_gate(&st, &region, &RegionFile::Picture(account, role)).await?;
    if roost_core::media::content_hash(&bytes) != hash {
        return Err(ApiError::NotFound("Record not found".into()));
    }
    relayed(bytes, mime, &format!("\"{hash}\""), headers).await
}

/// A file of another region, fetched through this region's gate.
async fn through_gate(st: &AppState, region: &str, file: &RegionFile) -> ApiResult<Vec<u8>> {
    st.fed
        .gate()
        .fetch_media(region, file)
        .await
        .map_err(|e| match e {
            roost_federation::gate::GateError::Denied(d) => {
                ApiError::Core(roost_core::CoreError::PolicyDenied(format!(
                    "Withheld by the residency policy ({})",
                    d.rule()
                )))
            }
            roost_federation::gate::GateError::Refused { status: 404, .. } => {
                ApiError::NotFound("Record not found".into())
            }
            e => ApiError::Core(roost_core::CoreError::Unavailable(format!(
                "region {region} did not send the file: {e}"
            ))),
        })
}

/// Relayed bytes, from memory, cached by the viewer only.
async fn relayed(
    bytes: Vec<u8>,
    mime: &str,
    etag: &str,
    headers: HeaderMap,
) -> ApiResult<Response> {
    respond(
        Response::builder(),
        mime,
        etag,
        false,
        headers,
        bytes.len() as u64,
        |a, b| async move { Ok(bytes[a as usize..=b as usize].to_vec()) },
    )
    .await
}

/// `bytes=a-b`, `bytes=a-`, `bytes=-n` (one range; several are answered whole, as allowed).
fn parse_range(v: &str, len: u64) -> Option<Result<(u64, u64), ()>> {
    let spec = v.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (a, b) = (a.trim(), b.trim());
    let r = if a.is_empty() {
        let n: u64 = b.parse().ok()?;
        if n == 0 || len == 0 {
            return Some(Err(()));
        }
        (len.saturating_sub(n), len - 1)
    } else {
        let start: u64 = a.parse().ok()?;
        let end = if b.is_empty() {
            len.saturating_sub(1)
        } else {
            b.parse::<u64>().ok()?.min(len.saturating_sub(1))
        };
        if start >= len || end < start {
            return Some(Err(()));
        }
        (start, end)
    };
    Some(Ok(r))
}

async fn send(st: &AppState, f: ServedFile, headers: &HeaderMap) -> ApiResult<Response> {
    let len = st
        .roost
        .blob_size(&f.hash)
        .await?
        .ok_or_else(|| ApiError::NotFound("Record not found".into()))?;
    let etag = format!("\"{}\"", f.hash);
    let roost = st.roost.clone();
    let hash = f.hash.clone();
    respond(
        Response::builder(),
        &f.mime,
        &etag,
        f.public,
        headers.clone(),
        len,
        |a, b| async move { Ok(roost.blob_range(&hash, a, b).await?) },
    )
    .await
}

/// The answer for a file of `len` bytes: whole, one range (206) or 416; `read` gives the
/// bytes `a..=b`.
async fn respond<F, Fut>(
    mut base: axum::http::response::Builder,
    mime: &str,
    etag: &str,
    public: bool,
    headers: HeaderMap,
    len: u64,
    read: F,
) -> ApiResult<Response>
where
    F: FnOnce(u64, u64) -> Fut,
    Fut: std::future::Future<Output = ApiResult<Vec<u8>>>,
{
    let cache = if public {
        "public, max-age=31536000, immutable"
    } else {
        "private, max-age=3600"
    };
    base = base
        .header(header::CONTENT_TYPE, mime)
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::CACHE_CONTROL, cache)
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::ETAG, etag)
        // A stored file is never a page: nothing in it may run as this site.
        .header(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; sandbox",
        );
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
    {
        return base
            .status(StatusCode::NOT_MODIFIED)
            .body(Body::empty())
            .map_err(|e| ApiError::Core(roost_core::CoreError::Internal(e.to_string())));
    }
    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_range(v, len));
    let (status, start, end) = match range {
        None => (StatusCode::OK, 0, len.saturating_sub(1)),
        Some(Ok((a, b))) => {
            base = base.header(header::CONTENT_RANGE, format!("bytes {a}-{b}/{len}"));
            (StatusCode::PARTIAL_CONTENT, a, b)
        }
        Some(Err(())) => {
            let mut r = (StatusCode::RANGE_NOT_SATISFIABLE, "").into_response();
            r.headers_mut().insert(
                header::CONTENT_RANGE,
                HeaderValue::from_str(&format!("bytes */{len}")).expect("ascii"),
            );
            return Ok(r);
        }
    };
    let bytes = if len == 0 {
        Vec::new()
    } else {
        read(start, end).await?
    };
    base.status(status)
        .header(header::CONTENT_LENGTH, bytes.len())
        .body(Body::from(bytes))
        .map_err(|e| ApiError::Core(roost_core::CoreError::Internal(e.to_string())))
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-9", 100), Some(Ok((0, 9))));
        assert_eq!(parse_range("bytes=90-", 100), Some(Ok((90, 99))));
        assert_eq!(parse_range("bytes=-10", 100), Some(Ok((90, 99))));
        assert_eq!(parse_range("bytes=50-1000", 100), Some(Ok((50, 99))));
        assert_eq!(parse_range("bytes=100-", 100), Some(Err(())));
        assert_eq!(parse_range("bytes=5-1", 100), Some(Err(())));
        assert_eq!(parse_range("bytes=0-1,5-6", 100), None);
        assert_eq!(parse_range("items=0-1", 100), None);
    }
}
