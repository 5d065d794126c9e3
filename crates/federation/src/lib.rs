//! ActivityPub between the regions of a cluster. Every request and response that carries
//! user data to another region passes [`gate::Gate`], which holds the only HTTP client,
//! consults the residency policy and writes the transfer ledger. Layout: `ap` (wire
//! types), `convert` (wire → domain), `service` (the core's `Remote` port: what to send
//! where), `outbox` (durable delivery), `routes` + `inbox` (what other regions call),
//! `holdings` ("where is my data"), `archive` (a user's archive), `erasure` (an erased account across regions), `move_home` (an account moving region), `purge` (retention), `httpsig` (signatures), `witness`
//! (cosigning the other regions' ledger heads).

pub mod ap;
pub mod archive;
pub mod convert;
mod erasure;
pub mod gate;
pub mod holdings;
pub mod httpsig;
mod inbox;
mod live_push;
mod media_in;
mod move_home;
pub mod outbox;
pub mod purge;
pub mod routes;
pub mod service;
pub mod witness;

pub use gate::Gate;
pub use outbox::OutboxSettings;
pub use routes::{routes, FedState};
pub use service::Federation;

pub(crate) use roost_core::error::chain;
pub(crate) use roost_core::usecase::valid_username;
