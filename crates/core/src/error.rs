//! Errors of the use cases. The API maps each variant to a status in one table.

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// Unknown, or not visible to the caller (the two look the same on purpose).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Input that breaks a rule; the text says which, for the client.
    #[error("{0}")]
    Validation(String),
    /// Bad or missing credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// Authenticated but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// The residency policy forbids this crossing; the text names the rule.
    #[error("{0}")]
    PolicyDenied(String),
    /// Another region could not be reached or answered badly.
    #[error("{0}")]
    Unavailable(String),
    /// This node cannot serve the request for now (it holds no node number); another node
    /// of the region, or this one in a moment, can (503).
    #[error("{0}")]
    NotNow(String),
    /// The request is well-formed but clashes with current state.
    #[error("{0}")]
    Conflict(String),
    /// An upload larger than its limit (413); the text names the limit.
    #[error("{0}")]
    TooLarge(String),
    /// The record's account moved to another region; where it lives now.
    #[error("moved to region {}", .0.region)]
    Moved(crate::model::Forward),
    #[error("storage failed")]
    Store(#[from] StoreError),
    #[error("internal task failed: {0}")]
    Internal(String),
}

pub type CoreResult<T> = Result<T, CoreError>;

/// An error with its whole `source()` chain, for the log (clients get only the safe text).
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str(": ");
        out.push_str(&s.to_string());
        cur = s.source();
    }
    out
}
