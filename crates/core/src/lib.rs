//! roost-core: the domain of roost — model, use cases and the store traits they need.
//! No HTTP and no SQL here: handlers call the use cases on [`Roost`]; storage plugs in
//! through the traits in [`store`].

pub mod cache;
pub mod emoji;
pub mod error;
pub mod export;
pub mod filtering;
pub mod id;
pub mod limits;
pub mod live;
pub mod media;
pub mod model;
pub mod password;
pub mod remote;
pub mod search;
pub mod store;
pub mod text;
pub mod usecase;
pub mod views;

pub use error::{CoreError, CoreResult};
pub use id::{Id, IdGen};
pub use roost_residency as residency;
pub use usecase::{Roost, RoostConfig};
