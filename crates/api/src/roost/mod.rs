//! roost's extension API (`/api/roost/v1/...`): the transfer ledger with its proofs, the
//! heads of other regions' ledgers this region cosigned as their witness, and "where is my
//! data", one's archive, deleting one's account and the erasure records.

mod accounts;
mod accounts_export;
mod erasures;
mod ledger;
mod related;
mod residency;
mod trends;

use crate::AppState;
use axum::routing::{get, post};
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/roost/v1/ledger/head", get(ledger::head))
        .route("/api/roost/v1/ledger/entries/{index}", get(ledger::entry))
        .route("/api/roost/v1/ledger/consistency", get(ledger::consistency))
        .route("/api/roost/v1/ledger/witnesses", get(ledger::witnesses))
        .route("/api/roost/v1/residency/me", get(residency::me))
        .route("/api/roost/v1/accounts/delete", post(accounts::delete))
        .route("/api/roost/v1/accounts/move", post(accounts::move_home))
        .route("/api/roost/v1/accounts/export", get(accounts_export::get))
        .route("/api/roost/v1/admin/erasures", get(erasures::list))
        .route("/api/roost/v1/admin/erasures/{id}", get(erasures::get))
        .route("/api/roost/v1/statuses/{id}/related", get(related::get))
        .route("/api/roost/v1/trends/tags", get(trends::tags))
}
