//! A user moving home across regions. The old home POSTs the whole account
//! ([`MovePackage`]) to the new home's `/ap/roost/move` through the gate
//! ([`crate::gate::Gate::carry_move`]: an `identity` transfer recorded as a `move`, the
//! one way identity data ever leaves its region); the new home records it (`stored`),
//! creates the account and answers with the new IDs, signed with its region key and
//! recorded (`sent`); the old home checks the signature and records the answer
//! (`stored`). Both ledgers thus hold the transfer and its acknowledgement, and the
//! audit matches each `stored` entry with the other side's `sent` one.

use crate::gate::Transfer;
use crate::routes::{FedError, FedState};
use crate::service::Federation;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use roost_core::media::MediaRole;
use roost_core::model::{MoveAck, MovePackage};
use roost_core::{CoreError, CoreResult, Id};
use roost_residency::{DataClass, Direction};

/// Routed as such in `routes.rs`.
const PATH: &str = "/ap/roost/move";
/// Routed as `/ap/roost/move/media/{id}`.
const FILE_PATH: &str = "/ap/roost/move/media/";

/// The largest account a move carries in its one request (posts are text; files are
/// not carried yet): far above the other routes' limit, still bounded.
pub(crate) const MAX_BYTES: usize = 64 << 20;

/// The ledger object of the account's transfer, and of its acknowledgement.
fn object(account: Id) -> String {
    format!("move:{account}")
}
fn ack_object(account: Id) -> String {
    format!("move-ack:{account}")
}

fn file_transfer(region: &str, account: Id, media: Id) -> Transfer {
    Transfer {
        counterpart: region.to_string(),
        class: DataClass::Identity,
        subject: Some(account),
        object: format!("move-media:{media}"),
        purpose: "move account's file to its new home (at its user's request)".into(),
    }
}

fn picture_transfer(region: &str, account: Id, role: MediaRole) -> Transfer {
    Transfer {
        counterpart: region.to_string(),
        class: DataClass::Identity,
        subject: Some(account),
        object: format!("move-picture:{account}:{}", role.as_str()),
        purpose: "move account's profile picture to its new home (at its user's request)".into(),
    }
}

fn transfer(region: &str, account: Id) -> Transfer {
    Transfer {
        counterpart: region.to_string(),
        class: DataClass::Identity,
        subject: Some(account),
        object: object(account),
        purpose: "move account to its new home (at its user's request)".into(),
    }
}

fn ack_transfer(region: &str, account: Id) -> Transfer {
    Transfer {
        counterpart: region.to_string(),
        class: DataClass::Aggregate,
        subject: Some(account),
        object: ack_object(account),
        purpose: "acknowledge moved account".into(),
    }
}

#[derive(serde::Deserialize)]
struct SignedAck {
    ack: MoveAck,
    signature: String,
}

impl Federation {
    pub(crate) async fn send_move_to(
        &self,
        region: &str,
        package: &MovePackage,
    ) -> CoreResult<MoveAck> {
        let body = serde_json::to_vec(package).map_err(|e| CoreError::Internal(e.to_string()))?;
        let answer = self
            .gate
            .carry_move(&transfer(region, package.old_id), PATH, &body)
            .await
            .map_err(refused)?;
        let signed: SignedAck = serde_json::from_slice(&answer)
            .map_err(|e| CoreError::Unavailable(format!("the new region's answer: {e}")))?;
        let ack_bytes =
            serde_json::to_vec(&signed.ack).map_err(|e| CoreError::Internal(e.to_string()))?;
        if !self
            .gate
            .verify_region_signature(region, &ack_bytes, &signed.signature)
        {
            return Err(CoreError::Unavailable(
                "the new region's answer is not signed by it".into(),
            ));
        }
        self.gate
            .record_move(
                Direction::Stored,
                &ack_transfer(region, package.old_id),
                &answer,
            )
            .await
            .map_err(|e| CoreError::Internal(e.to_string()))?;
        Ok(signed.ack)
    }
}

impl Federation {
    /// A moving account's file from its old home: the bytes must hash as the package
    /// said; recorded here (`stored`) as the old home recorded sending them.
    pub(crate) async fn fetch_move_file_from(
        &self,
        region: &str,
        account: Id,
        media: Id,
        sha256: &str,
    ) -> CoreResult<Vec<u8>> {
        let bytes = self
            .gate
            .fetch(region, &format!("{FILE_PATH}{media}"))
            .await
            .map_err(refused)?;
        if roost_residency::ledger::sha256_hex(&bytes) != sha256 {
            return Err(CoreError::Unavailable(
                "a moved file does not match its hash".into(),
            ));
        }
        self.gate
            .record_move(
                Direction::Stored,
                &file_transfer(region, account, media),
                &bytes,
            )
            .await
            .map_err(|e| CoreError::Internal(e.to_string()))?;
        Ok(bytes)
    }
}

impl Federation {
    /// A moving account's avatar or header from its old home, checked and recorded as
    /// its files are.
    pub(crate) async fn fetch_move_picture_from(
        &self,
        region: &str,
        account: Id,
        role: MediaRole,
        sha256: &str,
    ) -> CoreResult<Vec<u8>> {
        let bytes = self
            .gate
            .fetch(region, &format!("{FILE_PATH}{account}/{}", role.as_str()))
            .await
            .map_err(refused)?;
        if roost_residency::ledger::sha256_hex(&bytes) != sha256 {
            return Err(CoreError::Unavailable(
                "a moved picture does not match its hash".into(),
            ));
        }
        self.gate
            .record_move(
                Direction::Stored,
                &picture_transfer(region, account, role),
                &bytes,
            )
            .await
            .map_err(|e| CoreError::Internal(e.to_string()))?;
        Ok(bytes)
    }
}

/// `GET /ap/roost/move/media/ACCOUNT/ROLE`: the avatar or header of an account moving to
/// the signing region, only while that move runs.
pub(crate) async fn picture(
    State(s): State<FedState>,
    axum::extract::Path((id, role)): axum::extract::Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Result<crate::gate::Released, FedError> {
    let origin = crate::routes::origin(&s, &method, &uri, &headers, None)?;
    let missing = || FedError(StatusCode::NOT_FOUND, "media not found".into());
    let id: Id = id.parse().map_err(|_| missing())?;
    let role = MediaRole::parse(&role)
        .filter(|r| *r != MediaRole::Attachment)
        .ok_or_else(missing)?;
    let bytes = s.roost.moving_picture(&origin, id, role).await?;
    Ok(s.fed
        .gate
        .release_move(&picture_transfer(&origin, id, role), bytes)
        .await?)
}

/// `GET /ap/roost/move/media/ID`: a file of an account moving to the signing region,
/// only while that move runs.
pub(crate) async fn file(
    State(s): State<FedState>,
    axum::extract::Path(id): axum::extract::Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Result<crate::gate::Released, FedError> {
    let origin = crate::routes::origin(&s, &method, &uri, &headers, None)?;
    let id: Id = id
        .parse()
        .map_err(|_| FedError(StatusCode::NOT_FOUND, "media not found".into()))?;
    let (m, bytes) = s.roost.moving_file(&origin, id).await?;
    Ok(s.fed
        .gate
        .release_move(&file_transfer(&origin, m.account_id, id), bytes)
        .await?)
}

/// The new home's refusal, as the user should read it.
fn refused(e: crate::gate::GateError) -> CoreError {
    use crate::gate::GateError;
    match e {
        GateError::Refused {
            status: 409, body, ..
        } => CoreError::Conflict(error_text(&body)),
        GateError::Refused {
            status: 403 | 422,
            body,
            ..
        } => CoreError::Validation(error_text(&body)),
        GateError::UnknownRegion(r) => CoreError::Validation(format!("Unknown region {r}")),
        e => {
            tracing::warn!(error = %crate::chain(&e), "moving an account failed");
            CoreError::Unavailable(format!("The new region could not take the account: {e}"))
        }
    }
}

fn error_text(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["error"].as_str().map(str::to_string))
        .unwrap_or_else(|| body.to_string())
}

/// `POST /ap/roost/move`: an account of the signing region moves here.
pub(crate) async fn receive(
    State(s): State<FedState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<crate::gate::Released, FedError> {
    let origin = crate::routes::origin(&s, &method, &uri, &headers, Some(&body))?;
    let package: MovePackage = serde_json::from_slice(&body)
        .map_err(|e| FedError(StatusCode::BAD_REQUEST, format!("bad move: {e}")))?;
    if s.roost.region_of(package.old_id) != Some(origin.as_str()) {
        return Err(FedError(
            StatusCode::FORBIDDEN,
            "a region can only move its own accounts".into(),
        ));
    }
    let old = package.old_id;
    // Recorded before anything is kept, as every arrival is.
    s.fed
        .gate
        .record_move(Direction::Stored, &transfer(&origin, old), &body)
        .await?;
    let ack = s.roost.receive_move(&origin, package).await?;
    let bytes = serde_json::to_vec(&ack)
        .map_err(|e| FedError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(s.fed
        .gate
        .release_move_ack(&ack_transfer(&origin, old), &bytes)
        .await?)
}
