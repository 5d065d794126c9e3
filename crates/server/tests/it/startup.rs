//! The calls real apps make when they open, replayed with a fresh user's token: none may
//! answer 404 or 5xx (an app shows an error banner, or crashes, for either).
//!
//! Which calls, per app (from their sources):
//! - **Tusky** (`MainActivity.kt`: `fetchUserInfo`, `fetchAnnouncements`, `setupTabs` with
//!   the default Home / Notifications / Local / Federated / Direct tabs; the instance
//!   info repository): verify_credentials, announcements, v2 instance (v1 as fallback),
//!   custom emoji, home, notifications, markers, local and federated timelines,
//!   conversations (the Direct tab), lists (drawer), v2 filters.
//! - **Elk** (its masto composables: sign-in loads the server and the user, then the home
//!   column and the sidebar): v2 instance, verify_credentials, custom emoji, home,
//!   notifications, markers, followed tags, lists, trending tags, the streaming health
//!   check.
//! - **Phanpy** (`src/utils/api.js`: `initInstance` asks v2 then v1, `initAccount`
//!   verify_credentials, `initPreferences` preferences; the home page then loads
//!   announcements, the notifications marker, grouped notifications, followed tags, lists
//!   and v2 filters for its shortcuts and filtering).
//! - **toot** (its TUI opens by loading the instance, the followed accounts and tags, the
//!   preferences and the home timeline): v2 and v1 instance, verify_credentials,
//!   preferences, following, followed tags, lists, home.

use crate::support::*;

/// (app, path). `{me}` is the fresh user's account ID.
const CALLS: &[(&str, &str)] = &[
    ("tusky", "/api/v1/accounts/verify_credentials"),
    ("tusky", "/api/v1/announcements"),
    ("tusky", "/api/v2/instance"),
    ("tusky", "/api/v1/instance"),
    ("tusky", "/api/v1/custom_emojis"),
    ("tusky", "/api/v1/timelines/home?limit=30"),
    ("tusky", "/api/v1/notifications?limit=30"),
    ("tusky", "/api/v1/markers?timeline[]=notifications"),
    ("tusky", "/api/v1/timelines/public?local=true&limit=30"),
    ("tusky", "/api/v1/timelines/public?limit=30"),
    ("tusky", "/api/v1/conversations?limit=30"),
    ("tusky", "/api/v1/lists"),
    ("tusky", "/api/v2/filters"),
    ("elk", "/api/v2/instance"),
    ("elk", "/api/v1/accounts/verify_credentials"),
    ("elk", "/api/v1/custom_emojis"),
    ("elk", "/api/v1/timelines/home?limit=20"),
    ("elk", "/api/v1/notifications?limit=20"),
    (
        "elk",
        "/api/v1/markers?timeline[]=home&timeline[]=notifications",
    ),
    ("elk", "/api/v1/followed_tags"),
    ("elk", "/api/v1/lists"),
    ("elk", "/api/v1/trends/tags"),
    ("elk", "/api/v1/streaming/health"),
    ("elk", "/api/v1/instance/translation_languages"),
    ("phanpy", "/api/v2/instance"),
    ("phanpy", "/api/v1/instance"),
    ("phanpy", "/api/v1/accounts/verify_credentials"),
    ("phanpy", "/api/v1/preferences"),
    ("phanpy", "/api/v1/announcements"),
    ("phanpy", "/api/v1/markers?timeline[]=notifications"),
    ("phanpy", "/api/v2/notifications?limit=40"),
    ("phanpy", "/api/v1/notifications/unread_count"),
    ("phanpy", "/api/v1/timelines/home?limit=20"),
    ("phanpy", "/api/v1/followed_tags"),
    ("phanpy", "/api/v1/lists"),
    ("phanpy", "/api/v2/filters"),
    ("phanpy", "/api/v1/custom_emojis"),
    ("phanpy", "/api/v1/accounts/relationships?id[]={me}"),
    ("toot", "/api/v2/instance"),
    ("toot", "/api/v1/instance"),
    ("toot", "/api/v1/accounts/verify_credentials"),
    ("toot", "/api/v1/preferences"),
    ("toot", "/api/v1/accounts/{me}/following?limit=80"),
    ("toot", "/api/v1/followed_tags"),
    ("toot", "/api/v1/lists"),
    ("toot", "/api/v1/timelines/home?limit=40"),
];

#[tokio::test]
async fn what_apps_call_at_startup_is_served() {
    let s = TestServer::start().await;
    let me = s.register("fresh").await;
    let mut failures = Vec::new();
    for (app, path) in CALLS {
        let path = path.replace("{me}", &me.id);
        let r = s.get(&path, Some(&me.token)).await;
        let code = r.status.as_u16();
        if code == 404 || code >= 500 {
            failures.push(format!("{app}: GET {path} -> {code} {}", r.body));
        }
    }
    assert!(CALLS.len() > 30, "only {} calls listed", CALLS.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
