//! `/api/v1/...`

pub mod accounts;
pub mod accounts_search;
pub mod apps;
pub mod blocks;
pub mod bookmarks;
pub mod domain_blocks;
pub mod favourites;
pub mod follow_requests;
pub mod instance;
pub mod markers;
pub mod mutes;
pub mod notifications;
pub mod reports;
pub mod statuses;
pub mod streaming;
pub mod suggestions;
pub mod timelines;
pub mod trends;

use crate::AppState;
use axum::routing::{delete, get, patch, post};
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/instance", get(instance::get))
        .route("/api/v1/instance/peers", get(instance::peers))
        .route("/api/v1/instance/rules", get(instance::rules))
        .route("/api/v1/custom_emojis", get(instance::custom_emojis))
        .route("/api/v1/apps", post(apps::post))
        .route(
            "/api/v1/apps/verify_credentials",
            get(apps::verify_credentials),
        )
        .route(
            "/api/v1/accounts",
            post(accounts::register).get(accounts::get_many),
        )
        .route(
            "/api/v1/accounts/verify_credentials",
            get(accounts::verify_credentials),
        )
        .route(
            "/api/v1/accounts/update_credentials",
            patch(accounts::update_credentials),
        )
        .route(
            "/api/v1/accounts/relationships",
            get(accounts::relationships),
        )
        .route("/api/v1/accounts/lookup", get(accounts::lookup))
        .route("/api/v1/accounts/{id}", get(accounts::get))
        .route("/api/v1/accounts/{id}/statuses", get(accounts::statuses))
        .route("/api/v1/accounts/{id}/followers", get(accounts::followers))
        .route("/api/v1/accounts/{id}/following", get(accounts::following))
        .route("/api/v1/accounts/{id}/follow", post(accounts::follow))
        .route("/api/v1/accounts/{id}/unfollow", post(accounts::unfollow))
        .route("/api/v1/accounts/{id}/block", post(blocks::block))
        .route("/api/v1/accounts/{id}/unblock", post(blocks::unblock))
        .route("/api/v1/accounts/{id}/mute", post(mutes::mute))
        .route("/api/v1/accounts/{id}/unmute", post(mutes::unmute))
        .route("/api/v1/blocks", get(blocks::list))
        .route("/api/v1/mutes", get(mutes::list))
        .route(
            "/api/v1/domain_blocks",
            get(domain_blocks::list)
                .post(domain_blocks::post)
                .delete(domain_blocks::delete),
        )
        .route("/api/v1/statuses/{id}/mute", post(mutes::mute_conversation))
        .route(
            "/api/v1/statuses/{id}/unmute",
            post(mutes::unmute_conversation),
        )
        .route("/api/v1/follow_requests", get(follow_requests::list))
        .route(
            "/api/v1/follow_requests/{id}/authorize",
            post(follow_requests::authorize),
        )
        .route(
            "/api/v1/follow_requests/{id}/reject",
            post(follow_requests::reject),
        )
        .route(
            "/api/v1/statuses",
            post(statuses::post).get(statuses::get_many),
        )
        .route(
            "/api/v1/statuses/{id}",
            get(statuses::get)
                .delete(statuses::delete)
                .put(statuses::put),
        )
        .route("/api/v1/statuses/{id}/context", get(statuses::context))
        .route("/api/v1/statuses/{id}/history", get(statuses::history))
        .route("/api/v1/statuses/{id}/source", get(statuses::source))
        .route(
            "/api/v1/statuses/{id}/reblogged_by",
            get(statuses::reblogged_by),
        )
        .route(
            "/api/v1/statuses/{id}/favourited_by",
            get(statuses::favourited_by),
        )
        .route("/api/v1/statuses/{id}/reblog", post(statuses::reblog))
        .route("/api/v1/statuses/{id}/unreblog", post(statuses::unreblog))
        .route("/api/v1/statuses/{id}/favourite", post(statuses::favourite))
        .route(
            "/api/v1/statuses/{id}/unfavourite",
            post(statuses::unfavourite),
        )
        .route("/api/v1/statuses/{id}/bookmark", post(statuses::bookmark))
        .route(
            "/api/v1/statuses/{id}/unbookmark",
            post(statuses::unbookmark),
        )
        .route("/api/v1/statuses/{id}/pin", post(statuses::pin))
        .route("/api/v1/statuses/{id}/unpin", post(statuses::unpin))
        .route("/api/v1/favourites", get(favourites::list))
        .route("/api/v1/bookmarks", get(bookmarks::list))
        .route("/api/v1/timelines/home", get(timelines::home))
        .route("/api/v1/timelines/public", get(timelines::public))
        .route("/api/v1/timelines/tag/{hashtag}", get(timelines::tag))
        .route("/api/v1/notifications", get(notifications::list))
        .route("/api/v1/notifications/clear", post(notifications::clear))
        .route(
            "/api/v1/notifications/unread_count",
            get(notifications::unread_count),
        )
        .route("/api/v1/notifications/{id}", get(notifications::get))
        .route(
            "/api/v1/notifications/{id}/dismiss",
            post(notifications::dismiss),
        )
        .route("/api/v1/markers", get(markers::get).post(markers::post))
        .route("/api/v1/reports", post(reports::post))
        .route("/api/v1/streaming", get(streaming::socket))
        .route("/api/v1/streaming/health", get(streaming::health))
        .route("/api/v1/streaming/user", get(streaming::user))
        .route(
            "/api/v1/streaming/user/notification",
            get(streaming::user_notification),
        )
        .route("/api/v1/streaming/public", get(streaming::public))
        .route(
            "/api/v1/streaming/public/local",
            get(streaming::public_local),
        )
        .route(
            "/api/v1/streaming/public/remote",
            get(streaming::public_remote),
        )
        .route("/api/v1/streaming/hashtag", get(streaming::hashtag))
        .route(
            "/api/v1/streaming/hashtag/local",
            get(streaming::hashtag_local),
        )
        .route("/api/v1/streaming/direct", get(streaming::direct))
        // Search, trends and suggestions.
        .route("/api/v1/accounts/search", get(accounts_search::get))
        .route("/api/v1/trends", get(trends::tags))
        .route("/api/v1/trends/tags", get(trends::tags))
        .route("/api/v1/trends/statuses", get(trends::statuses))
        .route("/api/v1/trends/links", get(trends::links))
        .route("/api/v1/suggestions", get(suggestions::list))
        .route(
            "/api/v1/suggestions/{account_id}",
            delete(suggestions::dismiss),
        )
}
