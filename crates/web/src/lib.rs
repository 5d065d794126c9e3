//! roost-web: the web pages roost serves itself — server-rendered HTML over the same use
//! cases as the API, sessions and CSRF, RSS/Atom feeds and the static assets. Handlers are
//! in files named after their URLs (`post.rs` serves `/@user/ID`); the page types in
//! [`view`] are what templates see, never domain types directly.

mod admin;
pub mod assets;
mod conversations;
pub mod error;
mod feeds;
mod filters;
mod home;
mod layout;
mod lists;
mod live;
mod login;
mod notifications;
mod post;
mod profile;
mod public;
mod safety;
mod search;
pub mod session;
mod settings;
mod settings_delete;
mod settings_export;
mod statuses;
mod tags;
mod upload;
mod view;
mod your_data;

use axum::routing::{get, post};
use axum::Router;
use roost_core::Roost;
use std::sync::Arc;

/// Shared by every page handler.
#[derive(Clone)]
pub struct WebState {
    pub roost: Arc<Roost>,
    /// The region's link to the others (for "Your data").
    pub fed: Arc<roost_federation::Federation>,
    /// Whether cookies get `Secure` (the site is served over https).
    pub secure_cookies: bool,
}

impl WebState {
    pub fn new(roost: Arc<Roost>, fed: Arc<roost_federation::Federation>) -> WebState {
        let secure_cookies = roost.cfg.base_url.starts_with("https://");
        WebState {
            roost,
            fed,
            secure_cookies,
        }
    }
}

/// The page routes. Unknown paths are left to the caller's fallback (see
/// [`error::not_found_page`]), which also serves API-style paths.
pub fn router(state: WebState) -> Router {
    Router::new()
        .route("/", get(public::index))
        .route("/signup", get(login::signup_form).post(login::signup))
        .route("/login", get(login::login_form).post(login::login))
        .route("/logout", post(login::logout))
        .route("/home", get(home::get))
        .route("/home/live", get(live::home))
        .route("/live/replies/{id}", get(live::replies))
        .route("/public", get(public::all))
        .route("/public/local", get(public::local))
        .route("/tags/{name}", get(tags::get))
        .route("/search", get(search::get))
        .route("/notifications", get(notifications::get))
        .route("/your-data", get(your_data::get))
        .route("/settings/profile", get(settings::get).post(settings::post))
        .route("/settings/delete", post(settings_delete::post))
        .route("/settings/export", get(settings_export::get))
        .route("/admin/reports", get(admin::reports))
        .route("/admin/reports/{id}/{action}", post(admin::report_action))
        .route("/admin/accounts", get(admin::accounts))
        .route("/admin/accounts/{id}/{action}", post(admin::account_action))
        .route(
            "/report/{id}",
            get(admin::report_form).post(admin::report_post),
        )
        .route("/settings/safety", get(safety::get))
        .route("/lists", get(lists::index).post(lists::create))
        .route("/lists/{id}", get(lists::show))
        .route("/lists/{id}/{action}", post(lists::act))
        .route("/filters", get(filters::index).post(filters::create))
        .route("/filters/{id}", get(filters::show))
        .route("/filters/{id}/{action}", post(filters::act))
        .route("/conversations", get(conversations::get))
        .route("/conversations/{id}/read", post(conversations::read))
        .route("/statuses", post(statuses::create))
        .route("/statuses/{id}", get(statuses::show))
        .route("/statuses/{id}/vote", post(statuses::vote))
        .route("/statuses/{id}/{action}", post(statuses::act))
        .route("/{handle}", get(profile::get))
        .route("/{handle}/follow", post(profile::follow))
        .route("/{handle}/unfollow", post(profile::unfollow))
        .route("/{handle}/block", post(profile::block))
        .route("/{handle}/unblock", post(profile::unblock))
        .route("/{handle}/mute", post(profile::mute))
        .route("/{handle}/unmute", post(profile::unmute))
        .route("/{handle}/{id}", get(post::get))
        .route("/static/{file}", get(assets::get))
        .with_state(state)
}
