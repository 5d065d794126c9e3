//! HTTP endpoints other regions call: webfinger, actors, the shared inbox, and the roost
//! extensions for live (`transit`) reads and "where is my data". Every request must be
//! signed by a region of the cluster; every answer carrying user data is a [`Released`]
//! body from the gate.

use crate::ap::{self, Activity, Actor};
use crate::gate::{GateError, Released, Transfer};
use crate::service::Federation;
use crate::transit::{StatusQuery, TimelineQuery, TransitItem, TransitItems};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use roost_core::model::{AccountStatusFilter, Page, Visibility};
use roost_core::usecase::content_class;
use roost_core::{CoreError, Id, Roost};
use roost_residency::DataClass;
use serde::Deserialize;
use std::sync::Arc;

#[derive(Clone)]
pub struct FedState {
    pub roost: Arc<Roost>,
    pub fed: Arc<Federation>,
    /// Accepted clock difference for signed requests (against replay).
    pub max_skew_secs: u64,
}

pub fn routes(state: FedState) -> Router {
    Router::new()
        .route("/.well-known/webfinger", get(webfinger))
        .route("/ap/users/{id}", get(actor))
        .route("/ap/inbox", post(inbox))
        .route("/ap/users/{id}/inbox", post(inbox))
        .route("/ap/roost/timeline", post(timeline))
        .route("/ap/roost/status", post(status))
        .route("/ap/roost/live", post(live))
        .route("/ap/roost/holdings/{id}", get(holdings))
        .route("/ap/roost/media/{id}", get(media))
        .route("/ap/roost/media/{id}/{role}", get(profile_picture))
        .route("/ap/roost/tag_counts", post(tag_counts))
        .route("/ap/roost/move/media/{id}", get(crate::move_home::file))
        .route(
            "/ap/roost/move/media/{id}/{role}",
            get(crate::move_home::picture),
        )
        .route(
            "/ap/roost/move",
            post(crate::move_home::receive).layer(axum::extract::DefaultBodyLimit::max(
                crate::move_home::MAX_BYTES,
            )),
        )
        .with_state(state)
}

/// Errors to another region: `{"error": ...}`, never user data.
#[derive(Debug)]
pub struct FedError(pub StatusCode, pub String);

impl IntoResponse for FedError {
    fn into_response(self) -> Response {
        (self.0, Json(serde_json::json!({ "error": self.1 }))).into_response()
    }
}

impl From<GateError> for FedError {
    fn from(e: GateError) -> FedError {
        match e {
            GateError::Denied(d) => FedError(
                StatusCode::FORBIDDEN,
                format!("Withheld by the residency policy ({})", d.rule()),
            ),
            GateError::Suspended(_) => FedError(StatusCode::FORBIDDEN, e.to_string()),
            e => {
                tracing::error!(error = %crate::chain(&e), "federation request failed");
                FedError(StatusCode::INTERNAL_SERVER_ERROR, "internal error".into())
            }
        }
    }
}

impl From<CoreError> for FedError {
    fn from(e: CoreError) -> FedError {
        match e {
            CoreError::NotFound(w) => FedError(StatusCode::NOT_FOUND, format!("{w} not found")),
            CoreError::Validation(m) => FedError(StatusCode::UNPROCESSABLE_ENTITY, m),
            CoreError::PolicyDenied(m) | CoreError::Forbidden(m) => {
                FedError(StatusCode::FORBIDDEN, m)
            }
            CoreError::Conflict(m) => FedError(StatusCode::CONFLICT, m),
            CoreError::Moved(f) => {
                FedError(StatusCode::GONE, format!("moved to region {}", f.region))
            }
            e => {
                tracing::error!(error = %crate::chain(&e), "federation request failed");
                FedError(StatusCode::INTERNAL_SERVER_ERROR, "internal error".into())
            }
        }
    }
}

type FedResult<T> = Result<T, FedError>;

/// The requesting region, from the request's signature.
pub(crate) fn origin(
    s: &FedState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Option<&[u8]>,
) -> FedResult<String> {
    let pq = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    s.fed
        .gate
        .verify_request(method, pq, headers, body, s.max_skew_secs)
        .map_err(|e| FedError(StatusCode::UNAUTHORIZED, format!("signature refused: {e}")))
}

#[derive(Deserialize)]
struct WebfingerQuery {
    resource: String,
}

/// Answers with the account's address only (no profile): enough to route to it.
async fn webfinger(
    State(s): State<FedState>,
    Query(q): Query<WebfingerQuery>,
) -> FedResult<Response> {
    let acct = q.resource.trim_start_matches("acct:");
    let (name, domain) = acct.split_once('@').unwrap_or((acct, ""));
    if !domain.is_empty() && !domain.eq_ignore_ascii_case(&s.roost.cfg.domain) {
        return Err(FedError(StatusCode::NOT_FOUND, "account not found".into()));
    }
    let a = s.roost.lookup(name).await.map_err(FedError::from)?;
    let body = serde_json::json!({
        "subject": format!("acct:{}@{}", a.username, s.roost.cfg.domain),
        "aliases": [ap::actor_uri(&s.fed.base, a.id)],
        "links": [
            {"rel": "self", "type": ap::CONTENT_TYPE, "href": ap::actor_uri(&s.fed.base, a.id)},
            {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": format!("{}/@{}", s.fed.base, a.username)}
        ]
    });
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/jrd+json")],
        Json(body),
    )
        .into_response())
}

async fn actor(
    State(s): State<FedState>,
    Path(id): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> FedResult<Released> {
    let region = origin(&s, &method, &uri, &headers, None)?;
    let id: Id = id
        .parse()
        .map_err(|_| FedError(StatusCode::NOT_FOUND, "account not found".into()))?;
    let a = s.roost.account(id).await?;
    if !s.roost.is_local(&a) {
        return Err(FedError(StatusCode::NOT_FOUND, "account not found".into()));
    }
    let mut actor = Actor::from_account(&a, &s.fed.base, &s.fed.public_key_pem);
    actor.indexable = Some(s.roost.indexable(a.id).await?);
    let body = serde_json::to_vec(&actor).unwrap_or_default();
    let t = Transfer {
        counterpart: region,
        class: DataClass::PublicContent,
        subject: Some(id),
        object: format!("account:{id}"),
        purpose: "serve actor".into(),
    };
    Ok(s.fed.gate.release(&[t], body).await?)
}

/// This region's tag counts for another region's cluster trends: counts only, released
/// through the gate as `aggregate` (ledgered as sent; denied by policy, nothing leaves).
async fn tag_counts(
    State(s): State<FedState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> FedResult<Released> {
    let region = origin(&s, &method, &uri, &headers, Some(&body))?;
    let counts = s.roost.local_tag_counts().await?;
    let t = Transfer {
        counterpart: region,
        class: DataClass::Aggregate,
        subject: None,
        object: "tag-counts".into(),
        purpose: "serve tag counts (cluster trends)".into(),
    };
    let body = serde_json::to_vec(&counts).unwrap_or_default();
    Ok(s.fed.gate.release(&[t], body).await?)
}

/// Local statuses as transit items for `region`, each cleared by the gate. Timelines
/// leave direct posts out (`timeline`); a single post asked for by ID may be one.
async fn release_statuses(
    s: &FedState,
    region: &str,
    viewer: Option<Id>,
    ids: &[Id],
    timeline: bool,
) -> FedResult<Released> {
    let views = s.roost.hydrate(ids, viewer).await?;
    let mut items = Vec::new();
    let mut transfers = Vec::new();
    for v in views {
        if !s.roost.is_local(&v.account)
            || v.status.reblog_of_id.is_some()
            || (timeline && v.status.visibility == Visibility::Direct)
        {
            continue;
        }
        let class = content_class(v.status.visibility);
        // Only what this region's policy lets the reader's region see at all.
        if !s.fed.gate.decide(region, class).allowed() {
            continue;
        }
        let mut note = s.fed.note_from_parts(
            &v.status,
            &v.account,
            &v.mentions,
            &v.tags,
            Some(ap::Views {
                total: v.views.total,
                today: v.views.today,
            }),
        );
        let media: Vec<_> = v.media.iter().map(|m| m.attachment.clone()).collect();
        note.attachment = ap::attachments_of(&s.fed.base, &media);
        note.poll = v.poll.as_ref().map(ap::NotePoll::of);
        transfers.push(Transfer {
            counterpart: region.to_string(),
            class,
            subject: Some(v.account.id),
            object: format!("status:{}", v.status.id),
            purpose: "serve post live (transit)".into(),
        });
        items.push(TransitItem {
            note,
            actor: Actor::from_account(&v.account, &s.fed.base, &s.fed.public_key_pem),
        });
    }
    let body = serde_json::to_vec(&TransitItems { items }).unwrap_or_default();
    Ok(s.fed.gate.release(&transfers, body).await?)
}

async fn timeline(
    State(s): State<FedState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> FedResult<Released> {
    let region = origin(&s, &method, &uri, &headers, Some(&body))?;
    let q: TimelineQuery = serde_json::from_slice(&body)
        .map_err(|e| FedError(StatusCode::BAD_REQUEST, format!("bad query: {e}")))?;
    // The reader must be of the asking region: a region speaks only for its own users.
    let viewer = q
        .viewer
        .filter(|v| s.roost.region_of(*v) == Some(region.as_str()));
    let page = Page {
        max_id: q.max_id,
        since_id: q.since_id,
        min_id: q.min_id,
        limit: q.limit.clamp(1, 40),
    };
    // IDs only, one index range per author; only the final page is hydrated (in
    // `release_statuses`), where direct posts are also left out.
    let filter = AccountStatusFilter {
        exclude_reblogs: true,
        ..Default::default()
    };
    let mut ids: Vec<Id> = Vec::new();
    for author in q.authors.iter().take(200) {
        if s.roost.is_foreign_id(*author) {
            continue;
        }
        ids.extend(
            s.roost
                .store()
                .account_statuses(*author, viewer, &filter, page)
                .await
                .map_err(roost_core::CoreError::from)?,
        );
    }
    ids.sort_unstable_by(|a, b| b.cmp(a));
    if q.min_id.is_some() {
        ids.reverse();
        ids.truncate(page.limit as usize);
        ids.reverse();
    } else {
        ids.truncate(page.limit as usize);
    }
    release_statuses(&s, &region, viewer, &ids, true).await
}

async fn status(
    State(s): State<FedState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> FedResult<Released> {
    let region = origin(&s, &method, &uri, &headers, Some(&body))?;
    let q: StatusQuery = serde_json::from_slice(&body)
        .map_err(|e| FedError(StatusCode::BAD_REQUEST, format!("bad query: {e}")))?;
    let viewer = q
        .viewer
        .filter(|v| s.roost.region_of(*v) == Some(region.as_str()));
    s.roost.visible_status(q.id, viewer).await?;
    // A live read is a view, counted here at the post's home.
    s.roost.views.record(q.id);
    release_statuses(&s, &region, viewer, &[q.id], false).await
}

/// Posts of the calling region pushed for display only (`transit`): each is checked
/// against that region's policy for this one, streamed to the followers connected here,
/// and written nowhere.
async fn live(
    State(s): State<FedState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> FedResult<Response> {
    let region = origin(&s, &method, &uri, &headers, Some(&body))?;
    let items: TransitItems = serde_json::from_slice(&body)
        .map_err(|e| FedError(StatusCode::BAD_REQUEST, format!("bad push: {e}")))?;
    let cluster = s.fed.gate.cluster();
    let mut shown = 0;
    for t in s.fed.transit_statuses(&region, items) {
        let class = content_class(t.status.visibility);
        if cluster
            .decide(&region, &s.roost.cfg.region, class)
            .allowed()
        {
            s.roost.show_live(t);
            shown += 1;
        }
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(serde_json::json!({ "shown": shown })),
    )
        .into_response())
}

/// What this region holds of another region's user: inventory records and the ledger
/// entries about them with inclusion proofs against the current signed head.
async fn holdings(
    State(s): State<FedState>,
    Path(id): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> FedResult<Released> {
    let region = origin(&s, &method, &uri, &headers, None)?;
    let id: Id = id
        .parse()
        .map_err(|_| FedError(StatusCode::NOT_FOUND, "account not found".into()))?;
    // Only the user's home region may ask.
    if s.roost.region_of(id) != Some(region.as_str()) {
        return Err(FedError(
            StatusCode::FORBIDDEN,
            "only the account's home region may ask".into(),
        ));
    }
    let report = crate::holdings::report(&s.roost, s.fed.gate.ledger(), id).await?;
    let body = serde_json::to_vec(&report).unwrap_or_default();
    // The user's own data going back home: the home's policy (always allowed) rules.
    let t = Transfer {
        counterpart: region,
        class: DataClass::Aggregate,
        subject: Some(id),
        object: format!("holdings:{id}"),
        purpose: "answer where-is-my-data".into(),
    };
    Ok(s.fed.gate.release(&[t], body).await?)
}

async fn inbox(
    State(s): State<FedState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> FedResult<StatusCode> {
    let region = origin(&s, &method, &uri, &headers, Some(&body))?;
    let act: Activity = serde_json::from_slice(&body)
        .map_err(|e| FedError(StatusCode::BAD_REQUEST, format!("bad activity: {e}")))?;
    // Runs to the end even if the sender goes away (the server's `run_to_completion`).
    crate::inbox::receive(&s, &region, &act, &body).await?;
    Ok(StatusCode::ACCEPTED)
}

/// A file of one of this region's posts, for another region's gate (`store` copies):
/// released under the post's class, the ledger entry carrying the file's SHA-256.
async fn media(
    State(s): State<FedState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> FedResult<Released> {
    let region = origin(&s, &method, &uri, &headers, None)?;
    let id: Id = id
        .parse()
        .map_err(|_| FedError(StatusCode::NOT_FOUND, "media not found".into()))?;
    let (status, bytes) = s.roost.media_for_region(id).await?;
    let class = content_class(status.visibility);
    release_file(
        &s,
        region,
        ap::RegionFile::Attachment(id),
        class,
        status.account_id,
        bytes,
    )
    .await
}

/// A local account's avatar or header, for another region's gate: `public_content` of
/// the account (kept there under `store`, relayed under `transit`).
async fn profile_picture(
    State(s): State<FedState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Path((id, role)): Path<(String, String)>,
) -> FedResult<Released> {
    let region = origin(&s, &method, &uri, &headers, None)?;
    let missing = || FedError(StatusCode::NOT_FOUND, "media not found".into());
    let id: Id = id.parse().map_err(|_| missing())?;
    let role = roost_core::media::MediaRole::parse(&role)
        .filter(|r| *r != roost_core::media::MediaRole::Attachment)
        .ok_or_else(missing)?;
    let bytes = s.roost.profile_picture_for_region(id, role).await?;
    let file = ap::RegionFile::Picture(id, role);
    release_file(&s, region, file, DataClass::PublicContent, id, bytes).await
}

/// A file's bytes cleared by the gate for `region` (the `sent` entry's payload hash is
/// the file's SHA-256, which the receiver's `stored` entry matches).
async fn release_file(
    s: &FedState,
    region: String,
    file: ap::RegionFile,
    class: DataClass,
    owner: Id,
    bytes: Vec<u8>,
) -> FedResult<Released> {
    let t = Transfer {
        counterpart: region,
        class,
        subject: Some(owner),
        object: file.object(),
        purpose: "serve media".into(),
    };
    Ok(s.fed.gate.release(&[t], bytes).await?)
}
