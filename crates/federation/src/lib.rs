//! ActivityPub between the regions of a cluster. Every request and response that carries
//! user data to another region passes [`gate::Gate`], which holds the only HTTP client,
//! consults the residency policy and writes the transfer ledger. Layout: `ap` (wire
//! types), `convert` (wire → domain), `service` (the core's `Remote` port), with
//! `destinations` (what goes where), `activities` (how an activity is built), `actors`
//! (foreign accounts) and `transit` (posts fetched live, and their cache); `outbox`
//! (durable delivery); `routes` and `inbound` (parsing and checking what other regions
//! send) and `inbox` (applying it); `holdings` ("where is my data"); `archive` (a user's archive);
//! `erasure` (an erased account across regions); `move_home` (an account moving region);
//! `httpsig` (signatures); `witness` (cosigning the other regions'
//! ledger heads).

mod activities;
mod actors;
pub mod ap;
pub mod archive;
pub mod convert;
mod destinations;
mod erasure;
pub mod gate;
pub mod holdings;
pub mod httpsig;
mod inbound;
mod inbox;
mod live_push;
mod media_in;
mod move_home;
pub mod outbox;
pub mod routes;
pub mod service;
pub mod transit;
pub mod witness;

pub use gate::Gate;
pub use outbox::OutboxSettings;
pub use routes::{routes, FedState};
pub use service::Federation;

pub(crate) use roost_core::error::chain;
pub(crate) use roost_core::usecase::valid_username;
