//! `/api/v1/...`

pub mod account_extras;
pub mod accounts;
pub mod accounts_search;
pub mod announcements;
pub mod apps;
pub mod blocks;
pub mod bookmarks;
pub mod conversations;
pub mod custom_emojis;
pub mod directory;
pub mod domain_blocks;
pub mod endorsements;
pub mod favourites;
pub mod featured_tags;
pub mod filters;
pub mod follow_requests;
pub mod followed_tags;
pub mod instance;
pub mod lists;
pub mod markers;
pub mod media;
pub mod mutes;
pub mod notifications;
pub mod polls;
pub mod preferences;
pub mod reports;
pub mod scheduled_statuses;
pub mod statuses;
pub mod streaming;
pub mod suggestions;
pub mod tags;
pub mod timelines;
pub mod trends;

use crate::AppState;
use axum::routing::{delete, get, patch, post, put};
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/instance", get(instance::get))
        .route("/api/v1/instance/peers", get(instance::peers))
        .route("/api/v1/instance/rules", get(instance::rules))
        .route("/api/v1/custom_emojis", get(custom_emojis::get))
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
        // Lists, filters (v1), conversations, followed tags.
        .route("/api/v1/lists", get(lists::list).post(lists::post))
        .route(
            "/api/v1/lists/{id}",
            get(lists::get).put(lists::put).delete(lists::delete),
        )
        .route(
            "/api/v1/lists/{id}/accounts",
            get(lists::accounts)
                .post(lists::add_accounts)
                .delete(lists::remove_accounts),
        )
        .route("/api/v1/accounts/{id}/lists", get(lists::of_account))
        .route("/api/v1/timelines/list/{id}", get(timelines::list))
        .route("/api/v1/streaming/list", get(streaming::list))
        .route("/api/v1/filters", get(filters::list).post(filters::post))
        .route(
            "/api/v1/filters/{id}",
            get(filters::get).put(filters::put).delete(filters::delete),
        )
        .route("/api/v1/conversations", get(conversations::list))
        .route("/api/v1/conversations/{id}", delete(conversations::delete))
        .route("/api/v1/conversations/{id}/read", post(conversations::read))
        .route("/api/v1/tags/{name}", get(tags::get))
        .route("/api/v1/tags/{name}/follow", post(tags::follow))
        .route("/api/v1/tags/{name}/unfollow", post(tags::unfollow))
        .route("/api/v1/followed_tags", get(followed_tags::list))
        // Polls, scheduled posts, account extras, instance documents (issue 13, part b).
        .route("/api/v1/statuses/{id}/quotes", get(statuses::quotes))
        .route("/api/v1/polls/{id}", get(polls::get))
        .route("/api/v1/polls/{id}/votes", post(polls::votes))
        .route("/api/v1/scheduled_statuses", get(scheduled_statuses::list))
        .route(
            "/api/v1/scheduled_statuses/{id}",
            get(scheduled_statuses::get)
                .put(scheduled_statuses::put)
                .delete(scheduled_statuses::delete),
        )
        .route(
            "/api/v1/featured_tags",
            get(featured_tags::list).post(featured_tags::post),
        )
        .route(
            "/api/v1/featured_tags/suggestions",
            get(featured_tags::suggestions),
        )
        .route("/api/v1/featured_tags/{id}", delete(featured_tags::delete))
        .route("/api/v1/endorsements", get(endorsements::list))
        .route("/api/v1/accounts/{id}/pin", post(account_extras::pin))
        .route("/api/v1/accounts/{id}/unpin", post(account_extras::unpin))
        .route("/api/v1/accounts/{id}/note", post(account_extras::note))
        .route(
            "/api/v1/accounts/{id}/featured_tags",
            get(account_extras::featured_tags),
        )
        .route(
            "/api/v1/accounts/familiar_followers",
            get(account_extras::familiar_followers),
        )
        .route("/api/v1/directory", get(directory::get))
        .route("/api/v1/preferences", get(preferences::get))
        .route("/api/v1/announcements", get(announcements::list))
        .route(
            "/api/v1/announcements/{id}/dismiss",
            post(announcements::dismiss),
        )
        .route(
            "/api/v1/announcements/{id}/reactions/{name}",
            put(announcements::react).delete(announcements::unreact),
        )
        .route(
            "/api/v1/instance/extended_description",
            get(instance::extended_description),
        )
        .route(
            "/api/v1/instance/privacy_policy",
            get(instance::privacy_policy),
        )
        .route(
            "/api/v1/instance/terms_of_service",
            get(instance::terms_of_service),
        )
        .route("/api/v1/instance/activity", get(instance::activity))
        .route("/api/v1/instance/languages", get(instance::languages))
        .route(
            "/api/v1/instance/translation_languages",
            get(instance::translation_languages),
        )
        // Media (uploads and one's own attachments).
        .route("/api/v1/media", post(media::post))
        .route(
            "/api/v1/media/{id}",
            get(media::get).put(media::put).delete(media::delete),
        )
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
