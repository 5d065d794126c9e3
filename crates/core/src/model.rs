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
    /// Suspended by a moderator (here or, for a foreign account, by its home region): the
    /// account and everything it posted are hidden.
    pub suspended: bool,
    /// Silenced (Mastodon's "limited"): kept out of public timelines.
    pub silenced: bool,
    /// Profile pictures: the stored file's name (`<sha256>.<ext>`), public content.
    pub avatar: Option<String>,
    pub header: Option<String>,
    /// Profile fields (`fields_attributes`), up to four; part of the public profile.
    pub fields: Vec<ProfileField>,
    /// A move of this local account to another region is running: its writes are
    /// refused until the move ends (`move_home`).
    pub moving: bool,
}

/// A name/value pair on a profile; the value rendered to safe HTML at write time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileField {
    pub name: String,
    pub value_source: String,
    pub value_html: String,
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
    /// Read with the token, never written with it: its user signed up and awaits a
    /// moderator's approval (the token works once they are approved, as in Mastodon).
    pub pending: bool,
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
    /// The viewer muted the conversation (thread) this status is in.
    pub muted: bool,
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
    pub blocking: bool,
    pub blocked_by: bool,
    pub muting: bool,
    pub muting_notifications: bool,
    pub domain_blocking: bool,
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
    /// To moderators: someone signed up (Mastodon's `admin.sign_up`).
    AdminSignUp,
    /// To moderators: a new report (`admin.report`).
    AdminReport,
    /// To voters and the author: a poll ended.
    Poll,
    /// To those who quoted a status: it was edited (Mastodon 4.5).
    QuotedUpdate,
}

impl NotificationType {
    pub const ALL: [NotificationType; 12] = [
        NotificationType::Mention,
        NotificationType::Status,
        NotificationType::Reblog,
        NotificationType::Favourite,
        NotificationType::Follow,
        NotificationType::FollowRequest,
        NotificationType::Quote,
        NotificationType::Update,
        NotificationType::AdminSignUp,
        NotificationType::AdminReport,
        NotificationType::Poll,
        NotificationType::QuotedUpdate,
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
            NotificationType::AdminSignUp => "admin.sign_up",
            NotificationType::AdminReport => "admin.report",
            NotificationType::Poll => "poll",
            NotificationType::QuotedUpdate => "quoted_update",
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

/// One account's blocks, mutes and domain blocks towards another, as relationships show
/// them (`SafetyStore::safety_relations`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SafetyRelation {
    pub blocking: bool,
    pub blocked_by: bool,
    /// A mute in effect (not expired).
    pub muting: bool,
    pub muting_notifications: bool,
    /// The viewer hides the other account's whole region.
    pub domain_blocking: bool,
}

/// A mute as listed by `GET /api/v1/mutes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mute {
    pub target: Id,
    pub notifications: bool,
    pub expires_at: Option<Timestamp>,
}

/// Why a recipient is kept from an account's acts or posts (the filters of
/// `SafetyStore::shunning`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shun {
    /// Blocks either way only: interactions (follows, replies, favourites...).
    Blocks,
    /// Blocks either way, mutes in effect and domain blocks: timelines and streams.
    Posts,
    /// Blocks either way, mutes that hide notifications, domain blocks: notifications.
    Notifications,
}

/// A local user's standing with the region's staff (Mastodon's roles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Role {
    #[default]
    User,
    Moderator,
    Admin,
    Owner,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::User, Role::Moderator, Role::Admin, Role::Owner];
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Moderator => "moderator",
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
    /// Moderators and above may use the admin API.
    pub fn is_staff(self) -> bool {
        self >= Role::Moderator
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportCategory {
    Spam,
    Legal,
    Violation,
    Other,
}

impl ReportCategory {
    pub fn as_str(self) -> &'static str {
        match self {
            ReportCategory::Spam => "spam",
            ReportCategory::Legal => "legal",
            ReportCategory::Violation => "violation",
            ReportCategory::Other => "other",
        }
    }
    pub fn parse(s: &str) -> Option<ReportCategory> {
        Some(match s {
            "spam" => ReportCategory::Spam,
            "legal" => ReportCategory::Legal,
            "violation" => ReportCategory::Violation,
            "other" => ReportCategory::Other,
            _ => return None,
        })
    }
}

/// A report to this region's moderators (`POST /api/v1/reports`), or one forwarded here
/// anonymously by another region's (`origin_region` set, `account_id` a stand-in).
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub id: Id,
    /// The reporter; None for a report forwarded by another region (anonymous).
    pub account_id: Option<Id>,
    pub target_account_id: Id,
    pub category: ReportCategory,
    pub comment: String,
    pub rule_ids: Vec<String>,
    pub status_ids: Vec<Id>,
    pub forwarded: bool,
    pub origin_region: Option<String>,
    pub assigned_account_id: Option<Id>,
    pub action_taken_by: Option<Id>,
    pub action_taken_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Filters of `GET /api/v1/admin/reports`.
#[derive(Debug, Clone, Default)]
pub struct ReportFilter {
    pub resolved: Option<bool>,
    pub account_id: Option<Id>,
    pub target_account_id: Option<Id>,
}

/// The identity-class moderation facts of a local user (admin views only).
#[derive(Debug, Clone, PartialEq)]
pub struct UserModeration {
    pub account_id: Id,
    pub email: String,
    pub locale: String,
    pub role: Role,
    pub approved: bool,
    pub disabled: bool,
    pub sign_up_reason: Option<String>,
    pub sign_up_ip: Option<String>,
    pub created_at: Timestamp,
}

/// One row of the admin accounts list: the account, its user when local, and the flags
/// that only moderators see.
#[derive(Debug, Clone)]
pub struct AdminAccountRow {
    pub account: Account,
    pub user: Option<UserModeration>,
    pub sensitized: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountOrigin {
    Local,
    Remote,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountStanding {
    Active,
    Pending,
    Disabled,
    Silenced,
    Suspended,
}

/// Filters of `GET /api/v1/admin/accounts` (v1 booleans and v2 `origin`/`status` map here).
#[derive(Debug, Clone, Default)]
pub struct AdminAccountFilter {
    pub origin: Option<AccountOrigin>,
    pub standing: Option<AccountStanding>,
    /// Prefix of the username, case-insensitive.
    pub username: Option<String>,
    pub staff: bool,
    /// Local accounts of this region (`origin` needs it).
    pub local_region: String,
}

/// A moderation mark on an account row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountFlag {
    Suspended,
    Silenced,
    Sensitized,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DomainSeverity {
    Silence,
    Suspend,
    Noop,
}

impl DomainSeverity {
    pub fn as_str(self) -> &'static str {
        match self {
            DomainSeverity::Silence => "silence",
            DomainSeverity::Suspend => "suspend",
            DomainSeverity::Noop => "noop",
        }
    }
    pub fn parse(s: &str) -> Option<DomainSeverity> {
        Some(match s {
            "silence" => DomainSeverity::Silence,
            "suspend" => DomainSeverity::Suspend,
            "noop" => DomainSeverity::Noop,
            _ => return None,
        })
    }
}

/// Another region's domain blocked by this region's administrators.
#[derive(Debug, Clone, PartialEq)]
pub struct DomainBlock {
    pub id: Id,
    /// Lower-case host name.
    pub domain: String,
    pub severity: DomainSeverity,
    pub reject_media: bool,
    pub reject_reports: bool,
    pub private_comment: Option<String>,
    pub public_comment: Option<String>,
    pub obfuscate: bool,
    pub created_at: Timestamp,
}

// --- lists, filters, conversations, followed tags (the owner's private data) ----------

/// Which replies a list timeline shows (Mastodon's `replies_policy`): replies to any
/// account the owner follows, to members of the list, or none (a member's own threads
/// always).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RepliesPolicy {
    Followed,
    #[default]
    List,
    None,
}

impl RepliesPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            RepliesPolicy::Followed => "followed",
            RepliesPolicy::List => "list",
            RepliesPolicy::None => "none",
        }
    }
    pub fn parse(s: &str) -> Option<RepliesPolicy> {
        Some(match s {
            "followed" => RepliesPolicy::Followed,
            "list" => RepliesPolicy::List,
            "none" => RepliesPolicy::None,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct List {
    pub id: Id,
    pub account_id: Id,
    pub title: String,
    pub replies_policy: RepliesPolicy,
    /// Members' posts leave the owner's home timeline.
    pub exclusive: bool,
    pub created_at: Timestamp,
}

/// Where a filter applies (Mastodon's filter contexts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FilterContext {
    /// The home timeline and lists.
    Home,
    Notifications,
    /// Public and hashtag timelines.
    Public,
    /// A status's thread.
    Thread,
    /// A profile's statuses.
    Account,
}

impl FilterContext {
    pub const ALL: [FilterContext; 5] = [
        FilterContext::Home,
        FilterContext::Notifications,
        FilterContext::Public,
        FilterContext::Thread,
        FilterContext::Account,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            FilterContext::Home => "home",
            FilterContext::Notifications => "notifications",
            FilterContext::Public => "public",
            FilterContext::Thread => "thread",
            FilterContext::Account => "account",
        }
    }
    pub fn parse(s: &str) -> Option<FilterContext> {
        FilterContext::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FilterAction {
    /// Shown collapsed behind the filter's title.
    #[default]
    Warn,
    /// Not shown at all.
    Hide,
    /// Media hidden behind a warning.
    Blur,
}

impl FilterAction {
    pub fn as_str(self) -> &'static str {
        match self {
            FilterAction::Warn => "warn",
            FilterAction::Hide => "hide",
            FilterAction::Blur => "blur",
        }
    }
    pub fn parse(s: &str) -> Option<FilterAction> {
        Some(match s {
            "warn" => FilterAction::Warn,
            "hide" => FilterAction::Hide,
            "blur" => FilterAction::Blur,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterKeyword {
    pub id: Id,
    pub keyword: String,
    pub whole_word: bool,
}

/// A status filtered by ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterStatus {
    pub id: Id,
    pub status_id: Id,
}

/// A filter with its keywords and statuses (Mastodon's v2 Filter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub id: Id,
    pub account_id: Id,
    pub title: String,
    pub context: Vec<FilterContext>,
    pub action: FilterAction,
    pub expires_at: Option<Timestamp>,
    pub created_at: Timestamp,
    /// In ID order.
    pub keywords: Vec<FilterKeyword>,
    /// In ID order.
    pub statuses: Vec<FilterStatus>,
}

impl Filter {
    pub fn active_at(&self, now: Timestamp) -> bool {
        self.expires_at.is_none_or(|e| e > now)
    }
    pub fn applies_in(&self, context: FilterContext) -> bool {
        self.context.contains(&context)
    }
}

/// A part of a filter, found by its own ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterPart {
    Keyword(Id),
    Status(Id),
}

/// One direct thread as one participant sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    /// The ID of the direct status that opened it for this account.
    pub id: Id,
    pub account_id: Id,
    pub root_id: Id,
    /// The newest direct status's ID (the paging key).
    pub last_id: Id,
    /// None once that status is deleted.
    pub last_status_id: Option<Id>,
    /// The other participants.
    pub participants: Vec<Id>,
    pub unread: bool,
}

// ---- Polls, scheduled posts, posting defaults, notes, endorsements, featured tags ----

/// A poll as posted (part of its status, sharing its ID).
#[derive(Debug, Clone, PartialEq)]
pub struct NewPoll {
    pub options: Vec<String>,
    pub expires_at: Timestamp,
    pub multiple: bool,
    pub hide_totals: bool,
}

/// A poll with its tallies, and the viewer's own choices when asked for a viewer.
#[derive(Debug, Clone, PartialEq)]
pub struct Poll {
    /// The status's ID (a poll has no ID of its own).
    pub status_id: Id,
    pub options: Vec<String>,
    /// Votes per option, in option order.
    pub votes: Vec<i64>,
    /// Distinct accounts that voted.
    pub voters_count: i64,
    pub multiple: bool,
    pub hide_totals: bool,
    pub expires_at: Timestamp,
    /// The viewer's choices (empty when they did not vote); None without a viewer.
    pub own_votes: Option<Vec<u32>>,
    /// The viewer wrote the poll (Mastodon shows it as voted to them). Set by the use
    /// cases, which know the status; stores leave it false.
    pub viewer_is_author: bool,
}

impl Poll {
    pub fn votes_count(&self) -> i64 {
        self.votes.iter().sum()
    }
    pub fn expired(&self, now: Timestamp) -> bool {
        self.expires_at <= now
    }
}

/// A poll whose time is up and whose end was not announced yet.
#[derive(Debug, Clone, PartialEq)]
pub struct EndedPoll {
    pub status_id: Id,
    pub author: Id,
    /// Every account that voted (once each).
    pub voters: Vec<Id>,
}

/// A post waiting for `scheduled_at` (the owner's private data: never leaves home).
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduledStatus {
    pub id: Id,
    pub account_id: Id,
    pub scheduled_at: Timestamp,
    pub text: String,
    pub visibility: Option<Visibility>,
    pub spoiler_text: Option<String>,
    pub sensitive: Option<bool>,
    pub language: Option<String>,
    pub in_reply_to_id: Option<Id>,
    pub quoted_status_id: Option<Id>,
    pub poll: Option<ScheduledPoll>,
    pub idempotency_key: Option<String>,
    pub created_at: Timestamp,
}

/// A poll as asked for (its expiry is relative: it starts when the post is published).
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduledPoll {
    pub options: Vec<String>,
    pub expires_in: i64,
    pub multiple: bool,
    pub hide_totals: bool,
}

/// `source[privacy|sensitive|language]`: what a post gets when it does not say.
#[derive(Debug, Clone, PartialEq)]
pub struct PostingDefaults {
    pub visibility: Visibility,
    pub sensitive: bool,
    pub language: Option<String>,
}

impl Default for PostingDefaults {
    fn default() -> Self {
        PostingDefaults {
            visibility: Visibility::Public,
            sensitive: false,
            language: None,
        }
    }
}

/// A tag an account shows on its profile.
#[derive(Debug, Clone, PartialEq)]
pub struct FeaturedTag {
    pub id: Id,
    pub account_id: Id,
    pub name: String,
    pub created_at: Timestamp,
    /// The account's public, non-reblog statuses carrying the tag, and the newest one's time.
    pub statuses_count: i64,
    pub last_status_at: Option<Timestamp>,
}

/// An announcement by the region's admins.
#[derive(Debug, Clone, PartialEq)]
pub struct Announcement {
    pub id: Id,
    pub text: String,
    pub content_html: String,
    pub starts_at: Option<Timestamp>,
    pub ends_at: Option<Timestamp>,
    pub all_day: bool,
    pub published_at: Timestamp,
    pub updated_at: Timestamp,
    /// Whether the viewer dismissed it.
    pub read: bool,
    /// (emoji, count, whether the viewer reacted so), by first reaction.
    pub reactions: Vec<(String, i64, bool)>,
}

/// What erasing an account removed from the store that lives on outside it: the statuses
/// to drop from the search index and the blobs its rows named (each deleted once nothing
/// else names it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErasedRows {
    pub statuses: Vec<Id>,
    pub blobs: Vec<String>,
}

/// The home region's record of an erased account: kept with no personal data (the ID,
/// when, and which regions were told and have acknowledged), so the ID and the handle
/// are never given out again and the audit can show that every region forgot them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Erasure {
    pub account_id: Id,
    pub erased_at: Timestamp,
    /// Every region told, by code.
    pub regions: Vec<ErasureRegion>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErasureRegion {
    pub region: String,
    /// When its signed acknowledgement arrived; None while it has not.
    pub acknowledged_at: Option<Timestamp>,
    /// The ledger entry that recorded the acknowledgement.
    pub ledger_index: Option<u64>,
}

impl Erasure {
    /// Whether every region told has acknowledged.
    pub fn complete(&self) -> bool {
        self.regions.iter().all(|r| r.acknowledged_at.is_some())
    }
}

/// What a region keeps of another region's user it was told to erase: the ID, the home
/// that told it and when, nothing personal. A restore from an older backup erases the
/// account again, and activities of theirs that arrive late are not applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignErasure {
    pub account_id: Id,
    pub home_region: String,
    pub erased_at: Timestamp,
}

/// A local account on its way to another region, at its user's request (`move_home`):
/// everything the new home needs to be it. The one transfer that carries identity data
/// (`email`, `password_hash`) out of its region. Times are Unix milliseconds.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct MovePackage {
    /// The account's ID where it lived (minted there).
    pub old_id: Id,
    pub username: String,
    pub display_name: String,
    pub note_source: String,
    pub locked: bool,
    pub bot: bool,
    pub discoverable: bool,
    pub created_at_ms: i64,
    pub email: String,
    pub password_hash: String,
    pub locale: String,
    /// Its own posts (no reblogs), oldest first.
    pub statuses: Vec<MovedPost>,
    /// The accounts it follows, to be followed again from the new home.
    pub following: Vec<Id>,
    /// Posts it liked, bookmarked and reblogged, to be done again from the new home
    /// (where the new home can see them).
    #[serde(default)]
    pub favourites: Vec<Id>,
    #[serde(default)]
    pub bookmarks: Vec<Id>,
    #[serde(default)]
    pub reblogs: Vec<Id>,
    /// Profile fields as typed (name, value); rendered again at the new home.
    #[serde(default)]
    pub fields: Vec<(String, String)>,
    /// Its lists with their members, and its filters, made again at the new home.
    #[serde(default)]
    pub lists: Vec<MovedList>,
    #[serde(default)]
    pub filters: Vec<MovedFilter>,
    /// The SHA-256 of its avatar's and header's stored files; the new home fetches each
    /// while the move runs.
    #[serde(default)]
    pub avatar: Option<String>,
    #[serde(default)]
    pub header: Option<String>,
    /// What others did that it was told of, oldest first (moderators' ones stay).
    #[serde(default)]
    pub notifications: Vec<MovedNotification>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct MovedNotification {
    /// Mastodon's type name (`favourite`, `follow`, ...).
    pub kind: String,
    pub from: Id,
    pub status: Option<Id>,
    pub created_at_ms: i64,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct MovedList {
    pub title: String,
    /// `followed`, `list` or `none`.
    pub replies_policy: String,
    pub exclusive: bool,
    pub members: Vec<Id>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct MovedFilter {
    pub title: String,
    /// Mastodon's context names (`home`, `public`, ...).
    pub context: Vec<String>,
    /// `warn`, `hide` or `blur`.
    pub action: String,
    pub expires_at_ms: Option<i64>,
    /// (keyword, whole word).
    pub keywords: Vec<(String, bool)>,
    /// Posts filtered by ID (the account's own under their new IDs at the new home).
    pub statuses: Vec<Id>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct MovedPost {
    pub old_id: Id,
    pub text: String,
    pub spoiler_text: String,
    /// `public`, `unlisted`, `private` or `direct`.
    pub visibility: String,
    pub sensitive: bool,
    pub language: Option<String>,
    /// What it replies to and quotes: one of the account's own moved posts (the new
    /// home maps it to its new ID) or another's, kept when the new home holds it.
    pub in_reply_to_id: Option<Id>,
    #[serde(default)]
    pub quote_of_id: Option<Id>,
    pub created_at_ms: i64,
    /// Its files, in order; the new home fetches each while the move runs.
    #[serde(default)]
    pub media: Vec<MovedFile>,
    /// Its versions oldest first, the current one last, when it was edited; empty if not.
    #[serde(default)]
    pub history: Vec<MovedRevision>,
    #[serde(default)]
    pub poll: Option<MovedPoll>,
}

/// A moved post's poll: its options and settings, and its votes as counts only (who
/// voted is the voters' data, and stays where it was cast).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct MovedPoll {
    pub options: Vec<String>,
    /// Votes per option, in option order.
    pub votes: Vec<i64>,
    pub voters_count: i64,
    pub multiple: bool,
    pub hide_totals: bool,
    pub expires_at_ms: i64,
}

/// One version of a moved post, as its edit history shows it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct MovedRevision {
    pub content_html: String,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub created_at_ms: i64,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct MovedFile {
    pub old_id: Id,
    /// The stored original's SHA-256, which the fetched bytes must match.
    pub sha256: String,
    pub description: String,
    pub focus: (f64, f64),
}

/// The new home's answer: the account's and each post's new ID.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct MoveAck {
    pub account_id: Id,
    /// (old ID, new ID) per post.
    pub statuses: Vec<(Id, Id)>,
}

/// At the new home, an account that moved here: its origin, its ID here and each post's
/// (old ID, ID here), oldest first. Kept so a repeated package is answered again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovedIn {
    pub origin: String,
    pub account_id: Id,
    pub statuses: Vec<(Id, Id)>,
}

/// Where an ID minted here lives since its account moved: the forwarding record kept
/// after the erasure (IDs and a region code, no personal data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forward {
    pub region: String,
    pub new_id: Id,
    /// True for a status, false for an account.
    pub status: bool,
    /// The new home's base URL (filled from the cluster file, not stored).
    pub base_url: String,
}

/// A move of a local account that began and whose account is still here: the new home's
/// answer never came back (`new_id` is None), or it did and the old copy was not erased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnfinishedMove {
    pub account: Id,
    pub region: String,
    pub new_id: Option<Id>,
}
