//! Domain types. Free of any wire format: the API crate maps these to Mastodon JSON.

use crate::id::Id;
use jiff::Timestamp;

/// Who can see a status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Visibility {
    Public,
    Unlisted,
    /// Followers only.
    Private,
    /// Mentioned accounts only.
    Direct,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Unlisted => "unlisted",
            Visibility::Private => "private",
            Visibility::Direct => "direct",
        }
    }
    pub fn parse(s: &str) -> Option<Visibility> {
        Some(match s {
            "public" => Visibility::Public,
            "unlisted" => Visibility::Unlisted,
            "private" => Visibility::Private,
            "direct" => Visibility::Direct,
            _ => return None,
        })
    }
    /// Public and unlisted posts are `public_content`; the rest `private_content`.
    pub fn is_public(self) -> bool {
        matches!(self, Visibility::Public | Visibility::Unlisted)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub id: Id,
    pub username: String,
    /// Region code of the account's home region: where everything about it lives.
    pub home_region: String,
    pub display_name: String,
    /// The bio as the user typed it.
    pub note_source: String,
    /// The bio rendered to safe HTML (rendered once at write time, not per read).
    pub note_html: String,
    pub locked: bool,
    pub bot: bool,
    pub discoverable: bool,
    pub created_at: Timestamp,
    pub followers_count: i64,
    pub following_count: i64,
    pub statuses_count: i64,
    pub last_status_at: Option<Timestamp>,
}

/// What registration stores for a new account.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub id: Id,
    pub username: String,
    pub home_region: String,
    pub display_name: String,
    pub created_at: Timestamp,
}

/// The identity-class half of a local account: never leaves its home region.
#[derive(Debug, Clone)]
pub struct User {
    pub account_id: Id,
    pub email: String,
    pub password_hash: String,
    pub locale: String,
    pub created_at: Timestamp,
    /// Registration IP, kept for abuse handling; identity class.
    pub sign_up_ip: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct ProfileUpdate {
    pub display_name: Option<String>,
    pub note_source: Option<String>,
    pub note_html: Option<String>,
    pub locked: Option<bool>,
    pub bot: Option<bool>,
    pub discoverable: Option<bool>,
}

/// An OAuth client registered through `POST /api/v1/apps`.
#[derive(Debug, Clone)]
pub struct App {
    pub id: Id,
    pub name: String,
    pub website: Option<String>,
    pub redirect_uris: Vec<String>,
    pub scopes: String,
    pub client_id: String,
    pub client_secret: String,
    pub created_at: Timestamp,
}

/// An access token. Only hashes of the secrets are stored.
#[derive(Debug, Clone)]
pub struct Token {
    pub id: Id,
    pub app_id: Id,
    /// None for `client_credentials` tokens, which act for the app, not a user.
    pub account_id: Option<Id>,
    pub scopes: String,
    pub access_hash: String,
    pub refresh_hash: Option<String>,
    pub created_at: Timestamp,
    pub revoked: bool,
}

/// A one-time code from `/oauth/authorize`.
#[derive(Debug, Clone)]
pub struct AuthCode {
    pub code_hash: String,
    pub app_id: Id,
    pub account_id: Id,
    pub redirect_uri: String,
    pub scopes: String,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub expires_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    pub id: Id,
    pub account_id: Id,
    /// The text as the author typed it (Mastodon's `text` / source).
    pub text: String,
    /// The text rendered to safe HTML at write time.
    pub content_html: String,
    pub spoiler_text: String,
    pub visibility: Visibility,
    pub sensitive: bool,
    pub language: Option<String>,
    pub in_reply_to_id: Option<Id>,
    pub in_reply_to_account_id: Option<Id>,
    /// Set when this status is a reblog (repost without words) of another.
    pub reblog_of_id: Option<Id>,
    /// Set when this status quotes another (repost with the author's own words).
    pub quote_of_id: Option<Id>,
    pub created_at: Timestamp,
    pub edited_at: Option<Timestamp>,
    pub replies_count: i64,
    pub reblogs_count: i64,
    pub favourites_count: i64,
    pub quotes_count: i64,
    pub pinned: bool,
}

/// Everything `StatusStore::create_status` writes in one transaction.
#[derive(Debug, Clone)]
pub struct NewStatus {
    pub id: Id,
    pub account_id: Id,
    pub text: String,
    pub content_html: String,
    pub spoiler_text: String,
    pub visibility: Visibility,
    pub sensitive: bool,
    pub language: Option<String>,
    pub in_reply_to_id: Option<Id>,
    pub in_reply_to_account_id: Option<Id>,
    pub reblog_of_id: Option<Id>,
    pub quote_of_id: Option<Id>,
    pub created_at: Timestamp,
    /// Local accounts mentioned in the text, in order of first mention.
    pub mentions: Vec<Id>,
    /// Normalised (lower-case) hashtag names, without '#'.
    pub tags: Vec<String>,
    /// Client-supplied `Idempotency-Key`, recorded with the status so a retry finds it.
    pub idempotency_key: Option<String>,
}

/// An edit of a status (`PUT /api/v1/statuses/:id`).
#[derive(Debug, Clone)]
pub struct StatusEdit {
    pub text: String,
    pub content_html: String,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub language: Option<String>,
    pub mentions: Vec<Id>,
    pub tags: Vec<String>,
    pub edited_at: Timestamp,
}

/// One version of a status in its edit history.
#[derive(Debug, Clone)]
pub struct StatusRevision {
    pub status_id: Id,
    pub content_html: String,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub created_at: Timestamp,
}

/// What the viewer has done to a status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ViewerFlags {
    pub favourited: bool,
    pub reblogged: bool,
    pub bookmarked: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ViewCount {
    pub total: i64,
    pub today: i64,
}

/// Filters of `GET /api/v1/accounts/:id/statuses`.
#[derive(Debug, Clone, Default)]
pub struct AccountStatusFilter {
    pub exclude_replies: bool,
    pub exclude_reblogs: bool,
    pub only_media: bool,
    pub pinned: bool,
    pub tagged: Option<String>,
}

/// Which statuses a public or tag timeline shows, by the author's home region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegionScope {
    All,
    Only(String),
    Except(String),
}

/// A page request in Mastodon's terms; all bounds exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub max_id: Option<Id>,
    pub since_id: Option<Id>,
    /// Like `since_id`, but returns the items right after `min_id` rather than the newest.
    pub min_id: Option<Id>,
    pub limit: u32,
}

impl Default for Page {
    fn default() -> Self {
        Page {
            max_id: None,
            since_id: None,
            min_id: None,
            limit: 20,
        }
    }
}

/// A row of a paginated list whose cursor is not the item's own ID
/// (e.g. followers are paged by the follow's ID).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursored<T> {
    pub cursor: Id,
    pub item: T,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowState {
    Accepted,
    Requested,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Relationship {
    pub following: bool,
    pub followed_by: bool,
    pub requested: bool,
    pub requested_by: bool,
    pub notifying: bool,
    pub showing_reblogs: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotificationType {
    Mention,
    Status,
    Reblog,
    Favourite,
    Follow,
    FollowRequest,
    Quote,
    Update,
}

impl NotificationType {
    pub const ALL: [NotificationType; 8] = [
        NotificationType::Mention,
        NotificationType::Status,
        NotificationType::Reblog,
        NotificationType::Favourite,
        NotificationType::Follow,
        NotificationType::FollowRequest,
        NotificationType::Quote,
        NotificationType::Update,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationType::Mention => "mention",
            NotificationType::Status => "status",
            NotificationType::Reblog => "reblog",
            NotificationType::Favourite => "favourite",
            NotificationType::Follow => "follow",
            NotificationType::FollowRequest => "follow_request",
            NotificationType::Quote => "quote",
            NotificationType::Update => "update",
        }
    }
    pub fn parse(s: &str) -> Option<NotificationType> {
        NotificationType::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub id: Id,
    /// The account notified.
    pub account_id: Id,
    pub kind: NotificationType,
    /// The account that acted.
    pub from_account_id: Id,
    pub status_id: Option<Id>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, Default)]
pub struct NotificationFilter {
    pub types: Vec<NotificationType>,
    pub exclude_types: Vec<NotificationType>,
}

/// A reading position (`/api/v1/markers`).
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    pub timeline: String,
    pub last_read_id: Id,
    pub version: i64,
    pub updated_at: Timestamp,
}

/// Counts for the instance entity; `aggregate` data class (no person in them).
#[derive(Debug, Clone, Copy, Default)]
pub struct InstanceStats {
    pub user_count: i64,
    pub status_count: i64,
    pub active_month: i64,
}

/// Where an outbox delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxState {
    /// Waiting for its first or next attempt.
    Pending,
    Delivered,
    /// Gave up after the configured time; kept as the record of that.
    Expired,
    /// The gate refused it at send time (the policy changed since it was queued).
    Denied,
}

impl OutboxState {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxState::Pending => "pending",
            OutboxState::Delivered => "delivered",
            OutboxState::Expired => "expired",
            OutboxState::Denied => "denied",
        }
    }
    pub fn parse(s: &str) -> Option<OutboxState> {
        Some(match s {
            "pending" => OutboxState::Pending,
            "delivered" => OutboxState::Delivered,
            "expired" => OutboxState::Expired,
            "denied" => OutboxState::Denied,
            _ => return None,
        })
    }
}

/// One delivery to another region, kept in the durable outbox until it is delivered or
/// given up. The residency fields are what the gate decides on and writes to the ledger.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxItem {
    pub id: Id,
    /// Region code of the receiving region.
    pub destination: String,
    pub class: roost_residency::DataClass,
    /// Whose data it is.
    pub subject: Option<Id>,
    /// What moves, e.g. `status:123`.
    pub object: String,
    pub purpose: String,
    /// The activity, exactly as it will be sent (its hash goes to the ledger).
    pub body: String,
    pub created_at: Timestamp,
    pub next_attempt_at: Timestamp,
    pub attempts: u32,
    pub state: OutboxState,
    pub last_error: Option<String>,
    /// Ledger index of the `sent` entry, written once on the first attempt the gate allows.
    pub ledger_index: Option<u64>,
}

/// A foreign item this region keeps (another region's user's data), with its retention
/// deadline. The region's own inventory: it drives the purge job and "where is my data".
#[derive(Debug, Clone, PartialEq)]
pub struct ForeignRecord {
    /// E.g. `status:123`, `account:45`, `follow:45:67`, `favourite:45:123`.
    pub object: String,
    pub home_region: String,
    pub class: roost_residency::DataClass,
    pub subject: Option<Id>,
    pub stored_at: Timestamp,
    pub expires_at: Option<Timestamp>,
}
