//! Store traits ("ports"), one per aggregate. Every read and write of user content and
//! personal fields goes through these, so that field encryption and residency tagging can be
//! added in one place. Implementations live in `roost-store` and must pass its conformance
//! suite.
//!
//! Conventions: lists are returned newest first; `Page` bounds are exclusive; a `min_id` page
//! holds the items right after `min_id` (still returned newest first).

use crate::id::Id;
use crate::model::*;
use async_trait::async_trait;
use jiff::Timestamp;
use roost_residency::witness::{Cosigned, Evidence};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule was hit (e.g. username taken); the text names the rule.
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// The referenced row does not exist (e.g. replying to a status deleted meanwhile).
    #[error("missing: {0}")]
    Missing(&'static str),
    /// The write is between two accounts one of which blocks the other; nothing was written.
    #[error("blocked")]
    Blocked,
    /// The backend failed; the source carries the detail for the log.
    #[error("storage backend failed")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// What [`StatusStore::favourite`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Favourited {
    /// A new like; `notified` when the author's notification was written with it.
    New { notified: bool },
    /// It was already liked: nothing written.
    Already,
}

impl Favourited {
    pub fn is_new(self) -> bool {
        matches!(self, Favourited::New { .. })
    }
}

#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Creates an account, with its user row when it is a local sign-up.
    /// `Conflict("username")` / `Conflict("email")` when taken (case-insensitive).
    async fn create_account(
        &self,
        account: &NewAccount,
        user: Option<&User>,
    ) -> StoreResult<Account>;
    async fn account(&self, id: Id) -> StoreResult<Option<Account>>;
    /// The accounts that exist among `ids`, in any order.
    async fn accounts(&self, ids: &[Id]) -> StoreResult<Vec<Account>>;
    /// Case-insensitive.
    async fn account_by_username(&self, username: &str) -> StoreResult<Option<Account>>;
    /// All accounts, paged by ID.
    async fn list_accounts(&self, page: Page) -> StoreResult<Vec<Account>>;
    /// `Missing("account")` when there is no such account.
    async fn update_profile(&self, id: Id, update: &ProfileUpdate) -> StoreResult<Account>;
    async fn instance_stats(&self, since: Timestamp) -> StoreResult<InstanceStats>;
}

/// Identity-class data: users, apps, tokens, codes. Never leaves the home region.
#[async_trait]
pub trait IdentityStore: Send + Sync {
    /// By username (case-insensitive) or e-mail (case-insensitive).
    async fn user_by_login(&self, login: &str) -> StoreResult<Option<User>>;
    async fn user(&self, account_id: Id) -> StoreResult<Option<User>>;
    async fn create_app(&self, app: &App) -> StoreResult<()>;
    async fn app(&self, id: Id) -> StoreResult<Option<App>>;
    async fn app_by_client_id(&self, client_id: &str) -> StoreResult<Option<App>>;
    async fn create_token(&self, token: &Token) -> StoreResult<()>;
    /// Unrevoked tokens only.
    async fn token_by_access_hash(&self, hash: &str) -> StoreResult<Option<Token>>;
    /// Unrevoked tokens only.
    async fn token_by_refresh_hash(&self, hash: &str) -> StoreResult<Option<Token>>;
    /// Returns whether a live token was revoked.
    async fn revoke_token(&self, id: Id) -> StoreResult<bool>;
    async fn create_auth_code(&self, code: &AuthCode) -> StoreResult<()>;
    /// Removes and returns the code: a code works once.
    async fn take_auth_code(&self, code_hash: &str) -> StoreResult<Option<AuthCode>>;
}

#[async_trait]
pub trait StatusStore: Send + Sync {
    /// In one transaction: the status, its mentions and tags, counters (author's
    /// statuses_count and last_status_at; parent's replies_count (public and unlisted
    /// replies only, so the count reveals no hidden reply); reblogged status's
    /// reblogs_count; quoted status's quotes_count), the idempotency key, and fan-out
    /// to home timelines:
    /// - always the author;
    /// - public/unlisted/private: accepted followers of the author; for a reply to
    ///   someone else, only those followers who are, or follow, the replied-to account;
    /// - reblogs: the reblogger's followers except the reblogged status's author;
    /// - direct: the mentioned accounts.
    ///
    /// `Conflict("reblog")` if the account already reblogged that status;
    /// `Missing("status")` if a referenced status no longer exists.
    async fn create_status(&self, new: &NewStatus) -> StoreResult<Status>;
    async fn status(&self, id: Id) -> StoreResult<Option<Status>>;
    /// The statuses that exist among `ids`, in any order.
    async fn statuses(&self, ids: &[Id]) -> StoreResult<Vec<Status>>;
    /// The subset of `ids` that `viewer` may see (anonymous when None):
    /// public/unlisted to all; private to the author, accepted followers and mentioned
    /// accounts; direct to the author and mentioned accounts. A reblog is visible when
    /// both it and the reblogged status are.
    async fn visible_ids(&self, viewer: Option<Id>, ids: &[Id]) -> StoreResult<Vec<Id>>;
    /// (status, mentioned account) pairs, in mention order per status.
    async fn mentions(&self, ids: &[Id]) -> StoreResult<Vec<(Id, Id)>>;
    /// (status, tag name) pairs.
    async fn tags(&self, ids: &[Id]) -> StoreResult<Vec<(Id, String)>>;
    async fn viewer_flags(&self, viewer: Id, ids: &[Id]) -> StoreResult<Vec<(Id, ViewerFlags)>>;
    /// The reblog `account` made of `status`, if any.
    async fn find_reblog(&self, account: Id, status: Id) -> StoreResult<Option<Id>>;
    async fn status_by_idempotency_key(&self, account: Id, key: &str) -> StoreResult<Option<Id>>;
    /// Deletes the status and everything hanging off it: its reblogs, timeline entries,
    /// notifications, favourites, bookmarks, mentions, tags, edit history; adjusts counters.
    /// Replies and quotes of it stay. Returns the deleted status, None if there was none.
    async fn delete_status(&self, id: Id) -> StoreResult<Option<Status>>;
    /// Records the old version in the history (the original too, on the first edit) and
    /// replaces text, mentions and tags. `Missing("status")` if gone.
    async fn edit_status(&self, id: Id, edit: &StatusEdit) -> StoreResult<Status>;
    /// Versions oldest first, the current one last; empty if never edited.
    async fn history(&self, id: Id) -> StoreResult<Vec<StatusRevision>>;
    /// Parent chain, oldest first (whatever the viewer may see: callers filter).
    async fn ancestors(&self, id: Id, limit: u32) -> StoreResult<Vec<Id>>;
    /// All replies below the status, depth first in thread order.
    async fn descendants(&self, id: Id, limit: u32) -> StoreResult<Vec<Id>>;
    async fn account_statuses(
        &self,
        account: Id,
        viewer: Option<Id>,
        filter: &AccountStatusFilter,
        page: Page,
    ) -> StoreResult<Vec<Id>>;
    /// Public (not unlisted), non-reblog statuses, without replies to others (as Mastodon's
    /// default); self-replies (threads) stay.
    async fn public_timeline(&self, scope: &RegionScope, page: Page) -> StoreResult<Vec<Id>>;
    /// Public (not unlisted), non-reblog statuses carrying the tag.
    async fn tag_timeline(
        &self,
        tag: &str,
        scope: &RegionScope,
        page: Page,
    ) -> StoreResult<Vec<Id>>;
    async fn home_timeline(&self, account: Id, page: Page) -> StoreResult<Vec<Id>>;
    /// Which of `among` (everyone when None) have the status in their home timeline:
    /// the user streams a new or deleted status goes to, by the fan-out's own rules.
    async fn home_holders(&self, status: Id, among: Option<&[Id]>) -> StoreResult<Vec<Id>>;
    /// Likes the status in one write that also applies the safety rules, so the use case
    /// reads nothing first: `Blocked` (nothing written) when the liker and the status's
    /// author block each other either way. When the like is new, `notify` (the author's
    /// notification, if any) is created in the same transaction, as by
    /// `create_notifications`, unless its recipient would not hear of the liker
    /// (`SafetyStore::shunning` with `Shun::Notifications`, or a conversation mute of the
    /// status's thread).
    async fn favourite(
        &self,
        id: Id,
        account: Id,
        status: Id,
        notify: Option<&Notification>,
    ) -> StoreResult<Favourited>;
    async fn unfavourite(&self, account: Id, status: Id) -> StoreResult<bool>;
    async fn bookmark(&self, id: Id, account: Id, status: Id) -> StoreResult<bool>;
    async fn unbookmark(&self, account: Id, status: Id) -> StoreResult<bool>;
    async fn set_pinned(&self, status: Id, pinned: bool) -> StoreResult<bool>;
    /// Cursor: the favourite's ID; item: the status.
    async fn favourites_of(&self, account: Id, page: Page) -> StoreResult<Vec<Cursored<Id>>>;
    async fn bookmarks_of(&self, account: Id, page: Page) -> StoreResult<Vec<Cursored<Id>>>;
    /// Cursor: the reblog's ID; item: the reblogging account.
    async fn reblogged_by(&self, status: Id, page: Page) -> StoreResult<Vec<Cursored<Id>>>;
    /// Cursor: the favourite's ID; item: the account.
    async fn favourited_by(&self, status: Id, page: Page) -> StoreResult<Vec<Cursored<Id>>>;
    /// Accounts that reblogged or quoted the status (to be told of an edit).
    async fn sharers(&self, status: Id) -> StoreResult<Vec<Id>>;
    /// Statuses quoting `status` that `viewer` may see, newest first, paged by their ID.
    async fn quotes_of(&self, status: Id, viewer: Option<Id>, page: Page) -> StoreResult<Vec<Id>>;
    /// Accounts whose statuses quote `status` (told of an edit by `quoted_update`).
    async fn quoters(&self, status: Id) -> StoreResult<Vec<Id>>;
    /// Accounts that reblogged `status` (told of an edit by `update`).
    async fn rebloggers(&self, status: Id) -> StoreResult<Vec<Id>>;
    /// Up to `limit` statuses related to `status` that `viewer` may see, best first: those
    /// sharing more of its hashtags, then sharing its mentions, then the same author's;
    /// newest first among equals. Never the status itself, reblogs or its own reblogs.
    async fn related_statuses(
        &self,
        status: Id,
        viewer: Option<Id>,
        limit: u32,
    ) -> StoreResult<Vec<Id>>;
}

#[async_trait]
pub trait FollowStore: Send + Sync {
    /// Creates a follow (Accepted) or a follow request (Requested); updates counters; on
    /// Accepted, backfills the follower's home timeline with the target's recent posts.
    /// If one already exists only `notify`/`reblogs` are updated. Returns the state now.
    async fn follow(
        &self,
        id: Id,
        follower: Id,
        target: Id,
        state: FollowState,
        notify: bool,
        reblogs: bool,
    ) -> StoreResult<FollowState>;
    /// Removes a follow or a pending request; removes the target's posts from the
    /// follower's home timeline. Returns whether anything was removed.
    async fn unfollow(&self, follower: Id, target: Id) -> StoreResult<bool>;
    /// Turns a pending request into a follow (counters, backfill). False if none pending.
    async fn authorize_request(&self, target: Id, follower: Id) -> StoreResult<bool>;
    async fn reject_request(&self, target: Id, follower: Id) -> StoreResult<bool>;
    /// Relationships of `viewer` to each of `targets`, in the order given.
    async fn relationships(&self, viewer: Id, targets: &[Id]) -> StoreResult<Vec<Relationship>>;
    /// Cursor: the follow's ID; item: the follower.
    async fn followers(&self, account: Id, page: Page) -> StoreResult<Vec<Cursored<Id>>>;
    /// Cursor: the follow's ID; item: the followed account.
    async fn following(&self, account: Id, page: Page) -> StoreResult<Vec<Cursored<Id>>>;
    /// Pending requests to `account`. Cursor: the request's ID; item: the requester.
    async fn follow_requests(&self, account: Id, page: Page) -> StoreResult<Vec<Cursored<Id>>>;
    /// How many requests to `account` are pending.
    async fn count_follow_requests(&self, account: Id) -> StoreResult<i64>;
    /// Followers that asked to be notified of `account`'s new posts.
    async fn notifying_followers(&self, account: Id) -> StoreResult<Vec<Id>>;
    /// Which of `among` follow `target` (accepted follows only): who is shown a post of
    /// another region's user that is kept nowhere here (`transit`).
    async fn followers_among(&self, target: Id, among: &[Id]) -> StoreResult<Vec<Id>>;
    /// Which of `among` `follower` follows (accepted follows only): whose limited
    /// (silenced) posts a public timeline page still shows this viewer.
    async fn followed_among(&self, follower: Id, among: &[Id]) -> StoreResult<Vec<Id>>;
}

#[async_trait]
pub trait NotificationStore: Send + Sync {
    /// Inserts notifications, skipping any that duplicate an existing one
    /// (same account, type, from-account and status).
    async fn create_notifications(&self, items: &[Notification]) -> StoreResult<()>;
    async fn notifications(
        &self,
        account: Id,
        filter: &NotificationFilter,
        page: Page,
    ) -> StoreResult<Vec<Notification>>;
    async fn notification(&self, account: Id, id: Id) -> StoreResult<Option<Notification>>;
    async fn dismiss_notification(&self, account: Id, id: Id) -> StoreResult<bool>;
    async fn clear_notifications(&self, account: Id) -> StoreResult<()>;
    /// Notifications newer than `after` (all when None).
    async fn count_notifications(&self, account: Id, after: Option<Id>) -> StoreResult<i64>;
    /// Removes notifications of `kind` from `from` to `account` — about `status` only when
    /// given (e.g. on unfavourite), else all of them (e.g. on unfollow).
    async fn remove_notifications(
        &self,
        account: Id,
        from: Id,
        kind: NotificationType,
        status: Option<Id>,
    ) -> StoreResult<()>;
}

#[async_trait]
pub trait MarkerStore: Send + Sync {
    async fn markers(&self, account: Id) -> StoreResult<Vec<Marker>>;
    /// Sets the position and bumps its version.
    async fn set_marker(
        &self,
        account: Id,
        timeline: &str,
        last_read_id: Id,
        at: Timestamp,
    ) -> StoreResult<Marker>;
}

/// View counters. Days are numbered in the region's time zone (days since 1970-01-01).
#[async_trait]
pub trait ViewStore: Send + Sync {
    /// Adds counts: `(status, day, views)`. Views of a deleted status are dropped.
    async fn add_views(&self, batch: &[(Id, i32, i64)]) -> StoreResult<()>;
    /// `(status, total, views on day)` for the statuses that have any.
    async fn views(&self, ids: &[Id], day: i32) -> StoreResult<Vec<(Id, ViewCount)>>;
}

/// Leases on the region's periodic jobs, so that of several nodes on one database one
/// runs each job per round, not every node.
#[async_trait]
pub trait JobLeaseStore: Send + Sync {
    /// Takes `job` for `holder` until `until`, if no one holds it past `now` or `holder`
    /// does already (a renewal); true if `holder` holds it now. Atomic across nodes.
    async fn take_lease(
        &self,
        job: &str,
        holder: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> StoreResult<bool>;
    /// Gives the lease up if `holder` has it, so another node takes it at once.
    async fn release_lease(&self, job: &str, holder: &str) -> StoreResult<()>;
}

/// Everything a page of statuses needs to be shown: the statuses, those they reblog and
/// quote, their authors and mentioned accounts, tags, the viewer's flags and stored view
/// counts. Lists in no particular order.
#[derive(Debug, Default, Clone)]
pub struct StatusBundle {
    pub statuses: Vec<Status>,
    pub accounts: Vec<Account>,
    /// (status, mentioned account), in mention order per status.
    pub mentions: Vec<(Id, Id)>,
    /// (status, tag), in order per status.
    pub tags: Vec<(Id, String)>,
    pub flags: Vec<(Id, ViewerFlags)>,
    /// The quoted statuses the viewer may see.
    pub visible_quotes: Vec<Id>,
    /// Stored counts as of the requested day (the caller adds what is not flushed yet).
    pub views: Vec<(Id, ViewCount)>,
    /// The polls of the statuses that have one, with the viewer's own votes.
    pub polls: Vec<Poll>,
    /// The attachments of every status in the bundle, by status then position.
    pub media: Vec<crate::media::MediaAttachment>,
}

/// Which IDs a bundle needs at each level, decided once for every implementation.
pub mod bundle {
    use super::*;
    use std::collections::HashSet;

    /// Statuses reblogged by `loaded` that are not loaded yet.
    pub fn reblogged(loaded: &[Status]) -> Vec<Id> {
        missing(loaded, loaded.iter().filter_map(|s| s.reblog_of_id))
    }

    /// Statuses quoted by `loaded` that are not loaded yet.
    pub fn quoted(loaded: &[Status]) -> Vec<Id> {
        missing(loaded, loaded.iter().filter_map(|s| s.quote_of_id))
    }

    /// Every status quoted by `loaded` (loaded or not: a deleted one is shown as such).
    pub fn all_quoted(loaded: &[Status]) -> Vec<Id> {
        dedup(loaded.iter().filter_map(|s| s.quote_of_id).collect())
    }

    /// Authors and mentioned accounts.
    pub fn accounts(loaded: &[Status], mentions: &[(Id, Id)]) -> Vec<Id> {
        dedup(
            loaded
                .iter()
                .map(|s| s.account_id)
                .chain(mentions.iter().map(|m| m.1))
                .collect(),
        )
    }

    pub fn ids(loaded: &[Status]) -> Vec<Id> {
        loaded.iter().map(|s| s.id).collect()
    }

    fn missing(loaded: &[Status], wanted: impl Iterator<Item = Id>) -> Vec<Id> {
        let have: HashSet<Id> = loaded.iter().map(|s| s.id).collect();
        dedup(wanted.filter(|id| !have.contains(id)).collect())
    }

    fn dedup(mut v: Vec<Id>) -> Vec<Id> {
        v.sort_unstable();
        v.dedup();
        v
    }
}

/// Loading a [`StatusBundle`] in one call. The default body is built from the fine
/// methods (one store round trip each); an implementation overrides it to make one trip.
#[async_trait]
pub trait BundleStore: StatusStore + AccountStore + ViewStore + PollStore + MediaStore {
    async fn status_bundle(
        &self,
        ids: &[Id],
        viewer: Option<Id>,
        day: i32,
    ) -> StoreResult<StatusBundle> {
        let mut statuses = self.statuses(ids).await?;
        let reblogged = bundle::reblogged(&statuses);
        if !reblogged.is_empty() {
            statuses.extend(self.statuses(&reblogged).await?);
        }
        let quoted = bundle::quoted(&statuses);
        if !quoted.is_empty() {
            statuses.extend(self.statuses(&quoted).await?);
        }
        let all_quoted = bundle::all_quoted(&statuses);
        let visible_quotes = if all_quoted.is_empty() {
            Vec::new()
        } else {
            self.visible_ids(viewer, &all_quoted).await?
        };
        let all = bundle::ids(&statuses);
        let mentions = self.mentions(&all).await?;
        let tags = self.tags(&all).await?;
        let accounts = self
            .accounts(&bundle::accounts(&statuses, &mentions))
            .await?;
        let flags = match viewer {
            Some(v) => self.viewer_flags(v, &all).await?,
            None => Vec::new(),
        };
        let views = self.views(&all, day).await?;
        let polls = self.polls(&all, viewer).await?;
        let media = self.status_media(&all).await?;
        Ok(StatusBundle {
            media,
            statuses,
            accounts,
            mentions,
            tags,
            flags,
            visible_quotes,
            views,
            polls,
        })
    }
}

/// Everything a region's storage provides.
pub trait Store:
    AccountStore
    + IdentityStore
    + StatusStore
    + BundleStore
    + FollowStore
    + NotificationStore
    + MarkerStore
    + ViewStore
    + JobLeaseStore
    + FederationStore
    + SafetyStore
    + ModerationStore
    + ListStore
    + FilterStore
    + ConversationStore
    + FollowedTagStore
    + PollStore
    + ScheduledStore
    + AccountExtrasStore
    + AnnouncementStore
    + MediaStore
    + DiscoveryStore
    + EmojiStore
    + ErasureStore
    + WitnessStore
    + roost_residency::LedgerStore
{
}
impl<T> Store for T where
    T: AccountStore
        + IdentityStore
        + StatusStore
        + BundleStore
        + FollowStore
        + NotificationStore
        + MarkerStore
        + ViewStore
        + JobLeaseStore
        + FederationStore
        + SafetyStore
        + ModerationStore
        + ListStore
        + FilterStore
        + ConversationStore
        + FollowedTagStore
        + PollStore
        + ScheduledStore
        + AccountExtrasStore
        + AnnouncementStore
        + MediaStore
        + DiscoveryStore
        + EmojiStore
        + ErasureStore
        + WitnessStore
        + roost_residency::LedgerStore
{
}

/// Erasing an account: everything naming it goes in one write, and the home keeps a
/// record of it with no personal data (`Erasure`), as does each region told of it
/// (`ForeignErasure`).
#[async_trait]
pub trait ErasureStore: Send + Sync {
    /// Removes the account and every row that is theirs or names them (statuses with
    /// their edits, media rows, follows both ways, favourites, reblogs, votes,
    /// notifications to and from, list memberships, blocks and mutes both ways, tokens,
    /// the user row, inventory records, the bodies of queued activities about them),
    /// keeping every other account's and status's counters exact, in one write. With
    /// `record` (at home) the erasure record is written in the same write and the
    /// handle is never given out again. None if there was no such account.
    async fn erase_account(
        &self,
        account: Id,
        record: Option<&Erasure>,
    ) -> StoreResult<Option<ErasedRows>>;
    /// Abroad: erases another region's account as `erase_account` does and keeps
    /// `record` in the same write, whether or not any row of theirs was here (an older
    /// backup may hold some). A second record of the same account changes nothing.
    async fn erase_foreign_account(
        &self,
        record: &ForeignErasure,
    ) -> StoreResult<Option<ErasedRows>>;
    /// Abroad: the record of an erasure this region was told of.
    async fn foreign_erasure(&self, account: Id) -> StoreResult<Option<ForeignErasure>>;
    async fn erasure(&self, account: Id) -> StoreResult<Option<Erasure>>;
    /// The newest erasures first.
    async fn erasures(&self, limit: u32) -> StoreResult<Vec<Erasure>>;
    /// Records `region`'s acknowledgement; false if that region was not told of the
    /// erasure or has already acknowledged it.
    async fn acknowledge_erasure(
        &self,
        account: Id,
        region: &str,
        at: Timestamp,
        ledger_index: u64,
    ) -> StoreResult<bool>;
    /// Marks a move of the local account to `region` as running; false if one already
    /// runs or the account has moved.
    async fn begin_move(&self, account: Id, region: &str, at: Timestamp) -> StoreResult<bool>;
    /// A move that failed before the new home took the account: forgotten.
    async fn abandon_move(&self, account: Id) -> StoreResult<()>;
    /// The new home took the account: its new ID and each post's, kept as the forwarding.
    async fn finish_move(
        &self,
        account: Id,
        new_id: Id,
        statuses: &[(Id, Id)],
        at: Timestamp,
    ) -> StoreResult<()>;
    /// Where an account or status ID of a moved account lives now.
    async fn forward(&self, id: Id) -> StoreResult<Option<Forward>>;
    /// The region a running move of the account goes to.
    async fn running_move(&self, account: Id) -> StoreResult<Option<String>>;
    /// Moves begun before `started_before` whose account is still here, oldest first:
    /// what a region that stopped mid-move has left to finish.
    async fn unfinished_moves(&self, started_before: Timestamp)
        -> StoreResult<Vec<UnfinishedMove>>;
    /// At the new home: creates the moved account (`create_account`'s conflicts) and
    /// records that it is `old_id` of `origin`, in one write.
    async fn create_moved_account(
        &self,
        account: &NewAccount,
        user: &User,
        origin: &str,
        old_id: Id,
        at: Timestamp,
    ) -> StoreResult<Account>;
    /// What this region made of an account that moved here, by its old ID.
    async fn moved_in(&self, old_id: Id) -> StoreResult<Option<MovedIn>>;
    /// Keeps a moved post's ID here before the post is written; the ID already kept
    /// for `old_status` if there is one (then `new_status` is not used).
    async fn keep_moved_status(
        &self,
        old_account: Id,
        old_status: Id,
        new_status: Id,
    ) -> StoreResult<Id>;
}

/// What [`FederationStore::mark_activity_seen`] knew of an inbound activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    New,
    Applied,
    Applying,
}

/// What crossing regions needs kept: foreign accounts, the durable outbox, the inbox's
/// record of activities already handled, and the inventory of foreign items.
#[async_trait]
pub trait FederationStore: Send + Sync {
    /// A foreign account by `name` and home region (case-insensitive name).
    async fn account_by_handle(&self, username: &str, region: &str)
        -> StoreResult<Option<Account>>;
    /// Inserts a foreign account or refreshes its profile fields; counters are untouched.
    async fn upsert_remote_account(&self, account: &Account) -> StoreResult<()>;
    /// Home regions, other than `local`, of the accepted followers of `account`.
    async fn follower_regions(&self, account: Id, local: &str) -> StoreResult<Vec<String>>;
    /// Foreign accounts (home region other than `local`) that `account` follows, accepted.
    async fn followed_foreign(&self, account: Id, local: &str) -> StoreResult<Vec<Account>>;
    async fn enqueue(&self, items: &[OutboxItem]) -> StoreResult<()>;
    /// Pending items whose next attempt is due and that no worker holds a lease on,
    /// oldest first.
    async fn due_outbox(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<OutboxItem>>;
    /// Takes up to `limit` of the items `due_outbox` would give, leased until
    /// `lease_until`: no other claim gets them before then, so each is attempted by one
    /// worker of the region, and a crashed worker's items come back when the lease ends.
    /// Oldest first.
    async fn claim_outbox(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<OutboxItem>>;
    /// Earliest time a pending item may be attempted (its next attempt, or the end of
    /// its lease if later).
    async fn next_outbox_due(&self) -> StoreResult<Option<Timestamp>>;
    /// Writes back state, attempts, next attempt, last error and ledger index, and ends
    /// the item's lease.
    async fn update_outbox(&self, item: &OutboxItem) -> StoreResult<()>;
    async fn outbox_items(&self, state: Option<OutboxState>) -> StoreResult<Vec<OutboxItem>>;
    /// Records that the handling of an inbound activity begins, and says what was known
    /// of it: new (or marked before `stale_before` and never applied: its handler
    /// stopped half-way, and this one takes over), applied already (a replay), or being
    /// applied now.
    async fn mark_activity_seen(
        &self,
        activity_id: &str,
        at: Timestamp,
        stale_before: Timestamp,
    ) -> StoreResult<Seen>;
    /// The activity's handling ended: from now on a redelivery is a replay.
    async fn finish_activity(&self, activity_id: &str) -> StoreResult<()>;
    /// Forgets a recorded activity whose handling failed, so its retry is handled.
    async fn forget_activity(&self, activity_id: &str) -> StoreResult<()>;
    /// Inserts or refreshes (stored_at, expires_at) an inventory record.
    async fn record_foreign(&self, record: &ForeignRecord) -> StoreResult<()>;
    async fn expired_foreign(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<ForeignRecord>>;
    async fn remove_foreign(&self, object: &str) -> StoreResult<()>;
    /// The inventory, about one subject or all.
    async fn foreign_records(&self, subject: Option<Id>) -> StoreResult<Vec<ForeignRecord>>;
    /// Indices of the ledger entries whose subject is `subject`, ascending.
    async fn ledger_indices_about(&self, subject: Id) -> StoreResult<Vec<u64>>;
}

/// Blocks, mutes, user-level domain (region) blocks and conversation mutes. Read filters
/// that need them sit in the other stores' queries (visibility, notifications,
/// relationships); this trait writes them and answers the questions the use cases and the
/// live hub ask. "Now" for mute expiry is the store's clock: an expired mute is simply
/// not in effect.
#[async_trait]
pub trait SafetyStore: Send + Sync {
    /// `account` blocks `target`. In the same transaction: follows and pending requests
    /// both ways end (counters kept exact), each one's posts and reblogs leave the other's
    /// home timeline, and the notifications between them go. False if it already existed.
    async fn block(&self, id: Id, account: Id, target: Id, at: Timestamp) -> StoreResult<bool>;
    async fn unblock(&self, account: Id, target: Id) -> StoreResult<bool>;
    /// Cursor: the block's ID; item: the blocked account.
    async fn blocks(&self, account: Id, page: Page) -> StoreResult<Vec<Cursored<Id>>>;
    /// Creates or replaces (`notifications`, `expires_at`) a mute; hides at read time only.
    async fn mute(
        &self,
        id: Id,
        account: Id,
        target: Id,
        notifications: bool,
        expires_at: Option<Timestamp>,
        at: Timestamp,
    ) -> StoreResult<()>;
    async fn unmute(&self, account: Id, target: Id) -> StoreResult<bool>;
    /// Mutes in effect (not expired). Cursor: the mute's ID.
    async fn mutes(&self, account: Id, page: Page) -> StoreResult<Vec<Cursored<Mute>>>;
    /// `domain` (lower case) as given; `region` the region code it names, if any.
    async fn block_domain(
        &self,
        id: Id,
        account: Id,
        domain: &str,
        region: Option<&str>,
        at: Timestamp,
    ) -> StoreResult<bool>;
    async fn unblock_domain(&self, account: Id, domain: &str) -> StoreResult<bool>;
    /// Cursor: the domain block's ID; item: the domain.
    async fn user_domain_blocks(
        &self,
        account: Id,
        page: Page,
    ) -> StoreResult<Vec<Cursored<String>>>;
    /// The root of the thread `status` is in: itself when it is no reply, else the
    /// topmost ancestor (or the ID a reply names whose parent is gone).
    async fn thread_root(&self, status: Id) -> StoreResult<Id>;
    async fn mute_conversation(&self, account: Id, root: Id) -> StoreResult<()>;
    async fn unmute_conversation(&self, account: Id, root: Id) -> StoreResult<()>;
    /// Which of `among` muted the conversation whose root is `root`.
    async fn conversation_muters(&self, root: Id, among: &[Id]) -> StoreResult<Vec<Id>>;
    /// Which of `among` are kept from what any of `authors` does or posts, by `shun`.
    /// One query whatever the number of recipients (the live hub asks it per event).
    async fn shunning(&self, authors: &[Id], among: &[Id], shun: Shun) -> StoreResult<Vec<Id>>;
    /// The statuses among `ids` hidden from `viewer` in timelines and threads: their
    /// author, or the author of the status they reblog, is blocked either way, muted, or
    /// of a region the viewer hides. The viewer's own statuses never are.
    async fn hidden_statuses(&self, viewer: Id, ids: &[Id]) -> StoreResult<Vec<Id>>;
}

/// Moderation: roles and standing of local users (identity class), moderation marks on
/// account rows, reports, and the region's blocks of other regions' domains.
#[async_trait]
pub trait ModerationStore: Send + Sync {
    /// False when the account has no local user.
    async fn set_role(&self, account: Id, role: Role) -> StoreResult<bool>;
    /// The local user's moderation facts, None for foreign or unknown accounts.
    async fn user_moderation(&self, account: Id) -> StoreResult<Option<UserModeration>>;
    /// The account of this username unless it is a sign-up awaiting approval (which
    /// nobody may find yet): `account_by_username` and the approval check in one read.
    async fn findable_account_by_username(&self, username: &str) -> StoreResult<Option<Account>>;
    /// Sets (`Some(at)`) or clears a mark on the account row; false if no such account.
    async fn set_account_flag(
        &self,
        account: Id,
        flag: AccountFlag,
        at: Option<Timestamp>,
    ) -> StoreResult<bool>;
    /// Sets the user's `approved` and/or `disabled`; false if no local user.
    async fn set_user_standing(
        &self,
        account: Id,
        approved: Option<bool>,
        disabled: Option<bool>,
    ) -> StoreResult<bool>;
    /// Records why a sign-up wants to join.
    async fn set_sign_up_reason(&self, account: Id, reason: &str) -> StoreResult<()>;
    /// As `AccountStore::create_account` with a user, in the same transaction marked not
    /// approved and with its reason: never, even after a crash, an approved account that
    /// should have waited.
    async fn create_pending_account(
        &self,
        account: &NewAccount,
        user: &User,
        reason: &str,
    ) -> StoreResult<Account>;
    /// Deletes an account and everything hanging off it (a rejected sign-up).
    async fn delete_account(&self, account: Id) -> StoreResult<bool>;
    /// Account IDs matching the filter, newest first, paged by account ID.
    async fn admin_accounts(&self, filter: &AdminAccountFilter, page: Page)
        -> StoreResult<Vec<Id>>;
    /// Rows for `ids` that exist, in any order.
    async fn admin_account_rows(&self, ids: &[Id]) -> StoreResult<Vec<AdminAccountRow>>;
    /// Local users with at least `role`.
    async fn staff(&self, role: Role) -> StoreResult<Vec<Id>>;
    /// The account's unrevoked tokens (to revoke them when its login is disabled).
    async fn tokens_of(&self, account: Id) -> StoreResult<Vec<Token>>;
    async fn create_report(&self, report: &Report) -> StoreResult<()>;
    async fn report(&self, id: Id) -> StoreResult<Option<Report>>;
    /// Newest first.
    async fn reports(&self, filter: &ReportFilter, page: Page) -> StoreResult<Vec<Report>>;
    /// Writes back assignment, resolution and `updated_at`.
    async fn update_report(&self, report: &Report) -> StoreResult<bool>;
    /// `Conflict("domain")` if that domain is blocked already.
    async fn create_domain_block(&self, block: &DomainBlock) -> StoreResult<()>;
    /// Every block, newest first.
    async fn domain_blocks(&self) -> StoreResult<Vec<DomainBlock>>;
    async fn delete_domain_block(&self, id: Id) -> StoreResult<bool>;
}

/// Lists, their members and their materialised timelines (`list_timeline`, written by
/// `StatusStore::create_status`'s fan-out: a status by a member, or a member's reblog, not
/// direct, and by the list's `replies_policy` for a reply to someone else). Owner's
/// private data.
#[async_trait]
pub trait ListStore: Send + Sync {
    async fn create_list(&self, list: &List) -> StoreResult<()>;
    /// The owner's lists, oldest first (as Mastodon lists them).
    async fn lists_of(&self, owner: Id) -> StoreResult<Vec<List>>;
    /// None when there is no such list of this owner.
    async fn list(&self, owner: Id, id: Id) -> StoreResult<Option<List>>;
    /// Writes title, replies policy and exclusivity; false if the owner has no such list.
    /// Making a list exclusive takes its members' posts out of the owner's home timeline.
    async fn update_list(&self, list: &List) -> StoreResult<bool>;
    /// With its members and timeline. False if the owner has no such list.
    async fn delete_list(&self, owner: Id, id: Id) -> StoreResult<bool>;
    /// Adds members, all or none: `(entry ID, account)`. `Missing("follow")` when the
    /// owner does not follow one of them (accepted), `Conflict("member")` when one is a
    /// member already. Each new member's recent posts are backfilled into the list, and
    /// out of the owner's home timeline if the list is exclusive.
    async fn add_list_members(&self, list: Id, members: &[(Id, Id)]) -> StoreResult<()>;
    /// Removes members (absent ones are ignored) and their posts from the list.
    async fn remove_list_members(&self, list: Id, accounts: &[Id]) -> StoreResult<()>;
    /// Cursor: the entry's ID; item: the member.
    async fn list_members(&self, list: Id, page: Page) -> StoreResult<Vec<Cursored<Id>>>;
    /// The owner's lists that hold `member`, oldest first.
    async fn lists_with_member(&self, owner: Id, member: Id) -> StoreResult<Vec<List>>;
    /// One range read of the materialised timeline, newest first.
    async fn list_timeline(&self, list: Id, page: Page) -> StoreResult<Vec<Id>>;
    /// Which of `lists` (all lists with None) hold the status: the list streams it goes to.
    async fn list_holders(&self, status: Id, lists: Option<&[Id]>) -> StoreResult<Vec<Id>>;
}

/// Filters with their keywords and statuses. Owner's private data.
#[async_trait]
pub trait FilterStore: Send + Sync {
    /// Every filter of the owner (expired ones too), oldest first.
    async fn filters_of(&self, owner: Id) -> StoreResult<Vec<Filter>>;
    async fn filter(&self, owner: Id, id: Id) -> StoreResult<Option<Filter>>;
    /// The owner's filter holding this keyword or status entry.
    async fn filter_holding(&self, owner: Id, part: FilterPart) -> StoreResult<Option<Filter>>;
    /// Inserts the filter or replaces it (by ID, same owner): afterwards its keywords and
    /// statuses are exactly those given. `Conflict("filter")` if the ID is another
    /// owner's; `Missing("status")` if a filtered status does not exist.
    async fn save_filter(&self, filter: &Filter) -> StoreResult<()>;
    async fn delete_filter(&self, owner: Id, id: Id) -> StoreResult<bool>;
}

/// Direct threads per participant, written by `StatusStore::create_status` for a direct
/// status (local participants only: the author's copy read, the others' unread).
#[async_trait]
pub trait ConversationStore: Send + Sync {
    /// Newest activity first, paged by `last_id`.
    async fn conversations(&self, account: Id, page: Page) -> StoreResult<Vec<Conversation>>;
    async fn conversation(&self, account: Id, id: Id) -> StoreResult<Option<Conversation>>;
    /// False if the account has no such conversation.
    async fn mark_conversation_read(&self, account: Id, id: Id) -> StoreResult<bool>;
    /// Removes it from the account's list (the statuses stay; a new one opens it again).
    async fn delete_conversation(&self, account: Id, id: Id) -> StoreResult<bool>;
    /// The conversations whose newest status is `status`, of those among `accounts`.
    async fn conversations_of_status(
        &self,
        status: Id,
        accounts: &[Id],
    ) -> StoreResult<Vec<Conversation>>;
}

/// Hashtags an account follows (`create_status` fans their public posts out to the
/// followers' home timelines). Owner's private data.
#[async_trait]
pub trait FollowedTagStore: Send + Sync {
    /// `tag` normalised. False if already followed.
    async fn follow_tag(&self, id: Id, account: Id, tag: &str) -> StoreResult<bool>;
    async fn unfollow_tag(&self, account: Id, tag: &str) -> StoreResult<bool>;
    /// Cursor: the follow's ID; item: the tag.
    async fn followed_tags(&self, account: Id, page: Page) -> StoreResult<Vec<Cursored<String>>>;
    /// Which of `tags` the account follows.
    async fn following_tags(&self, account: Id, tags: &[String]) -> StoreResult<Vec<String>>;
}

/// Polls. A poll is part of its status (the status's data class) and has its ID; votes
/// are `engagement`, counted at the poll's home only, once per voter and choice.
#[async_trait]
pub trait PollStore: Send + Sync {
    /// `StatusStore::create_status` and the poll in one transaction.
    async fn create_status_with_poll(&self, new: &NewStatus, poll: &NewPoll)
        -> StoreResult<Status>;
    /// The polls of those of `statuses` that have one, tallied; with the viewer's own
    /// choices when `viewer` is given.
    async fn polls(&self, statuses: &[Id], viewer: Option<Id>) -> StoreResult<Vec<Poll>>;
    /// Replaces the status's poll (or adds one; `None` removes it). With `keep_votes`
    /// (options unchanged) the votes stay, else they are cleared, as Mastodon does when an
    /// edit changes the options. `Missing("status")` if the status is gone.
    async fn set_poll(
        &self,
        status: Id,
        poll: Option<&NewPoll>,
        keep_votes: bool,
    ) -> StoreResult<()>;
    /// Records `account`'s choices in one write. `Missing("poll")` if there is none,
    /// `Conflict("vote")` (nothing written) if the account voted on it already.
    async fn vote(
        &self,
        status: Id,
        account: Id,
        choices: &[u32],
        at: Timestamp,
    ) -> StoreResult<()>;
    /// For a poll of another region: its home's counts (per option, and voters), shown
    /// instead of counting the votes kept here. False if there is no such poll.
    async fn set_poll_tally(&self, status: Id, votes: &[i64], voters: i64) -> StoreResult<bool>;
    /// For a poll that moved here with its author's account: the votes it had at the old
    /// home (per option, and voters), as counts that votes cast here add to. False if
    /// there is no such poll.
    async fn carry_poll_votes(&self, status: Id, votes: &[i64], voters: i64) -> StoreResult<bool>;
    /// Polls expired by `now` whose end is not announced yet, soonest first.
    async fn ended_polls(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<EndedPoll>>;
    /// Marks the poll's end announced and writes `notifications` (as
    /// `create_notifications`) in the same transaction; false (nothing written) if it
    /// was marked already, so each end is announced once.
    async fn finish_poll(&self, status: Id, notifications: &[Notification]) -> StoreResult<bool>;
}

/// Scheduled posts: the owner's private data, never sent anywhere.
#[async_trait]
pub trait ScheduledStore: Send + Sync {
    async fn schedule_status(&self, s: &ScheduledStatus) -> StoreResult<()>;
    /// The account's own scheduled post (None for someone else's).
    async fn scheduled_status(&self, account: Id, id: Id) -> StoreResult<Option<ScheduledStatus>>;
    /// Paged by ID, newest first.
    async fn scheduled_statuses(
        &self,
        account: Id,
        page: Page,
    ) -> StoreResult<Vec<ScheduledStatus>>;
    /// False if the account has no such scheduled post.
    async fn reschedule(&self, account: Id, id: Id, at: Timestamp) -> StoreResult<bool>;
    async fn unschedule(&self, account: Id, id: Id) -> StoreResult<bool>;
    /// Scheduled posts due by `now`, soonest first.
    async fn due_scheduled(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<ScheduledStatus>>;
    /// In one transaction: removes the scheduled post and creates its status (with its
    /// poll), so a post is published once even across a crash. None (nothing written)
    /// if the scheduled post is gone (published or deleted meanwhile).
    async fn publish_scheduled(
        &self,
        id: Id,
        new: &NewStatus,
        poll: Option<&NewPoll>,
    ) -> StoreResult<Option<Status>>;
}

/// What an account keeps for itself about its own use: posting defaults, private notes
/// on others, endorsements, featured tags (all never sent to another region), and the
/// account lists built from public facts (directory, familiar followers).
#[async_trait]
pub trait AccountExtrasStore: Send + Sync {
    /// Replaces the account's profile fields; `Missing("account")` if there is none.
    async fn set_profile_fields(
        &self,
        account: Id,
        fields: &[ProfileField],
    ) -> StoreResult<Account>;
    /// Defaults when never set.
    async fn posting_defaults(&self, account: Id) -> StoreResult<PostingDefaults>;
    async fn set_posting_defaults(&self, account: Id, d: &PostingDefaults) -> StoreResult<()>;
    /// An empty comment removes the note.
    async fn set_note(&self, account: Id, target: Id, comment: &str) -> StoreResult<()>;
    /// (target, note) for the targets that have one.
    async fn notes(&self, account: Id, targets: &[Id]) -> StoreResult<Vec<(Id, String)>>;
    /// False if already endorsed.
    async fn endorse(&self, id: Id, account: Id, target: Id) -> StoreResult<bool>;
    async fn unendorse(&self, account: Id, target: Id) -> StoreResult<bool>;
    /// Which of `targets` `account` endorses.
    async fn endorsed_among(&self, account: Id, targets: &[Id]) -> StoreResult<Vec<Id>>;
    /// Cursor: the endorsement's ID; item: the endorsed account.
    async fn endorsements(&self, account: Id, page: Page) -> StoreResult<Vec<Cursored<Id>>>;
    /// `Conflict("featured_tag")` if the account features that tag already. Returns it
    /// with its counts.
    async fn feature_tag(
        &self,
        id: Id,
        account: Id,
        name: &str,
        at: Timestamp,
    ) -> StoreResult<FeaturedTag>;
    /// Oldest first, with counts of the account's public posts carrying each.
    async fn featured_tags(&self, account: Id) -> StoreResult<Vec<FeaturedTag>>;
    async fn unfeature_tag(&self, account: Id, id: Id) -> StoreResult<bool>;
    /// The tags `account` used most in its recent posts, not featured yet, most used first.
    async fn tag_suggestions(&self, account: Id, limit: u32) -> StoreResult<Vec<String>>;
    /// Accounts `viewer` follows that follow `target` (accepted follows), up to `limit`.
    async fn familiar_followers(&self, viewer: Id, target: Id, limit: u32) -> StoreResult<Vec<Id>>;
    /// Discoverable, unsuspended accounts (`local_region`: only that home region),
    /// by latest post (`active`) or newest account, skipping `offset`.
    async fn directory(
        &self,
        offset: u32,
        limit: u32,
        active: bool,
        local_region: Option<&str>,
    ) -> StoreResult<Vec<Id>>;
    /// For each `[start, end)` window: statuses posted by local accounts, sign-ins
    /// (tokens issued to local users) and sign-ups.
    async fn weekly_activity(
        &self,
        weeks: &[(Timestamp, Timestamp)],
    ) -> StoreResult<Vec<(i64, i64, i64)>>;
}

/// The region's announcements, with each reader's dismissals and reactions (kept here,
/// with the reader).
#[async_trait]
pub trait AnnouncementStore: Send + Sync {
    async fn create_announcement(&self, a: &Announcement) -> StoreResult<()>;
    /// False if there is no such announcement still running.
    async fn end_announcement(&self, id: Id, at: Timestamp) -> StoreResult<bool>;
    /// Those not ended (and past `ends_at` not yet), newest first, as `viewer` sees them.
    async fn announcements(&self, viewer: Id, now: Timestamp) -> StoreResult<Vec<Announcement>>;
    /// False if no such running announcement.
    async fn dismiss_announcement(&self, id: Id, account: Id) -> StoreResult<bool>;
    /// Adds (`on`) or removes a reaction; false if no such running announcement.
    async fn react_to_announcement(
        &self,
        id: Id,
        account: Id,
        name: &str,
        on: bool,
    ) -> StoreResult<bool>;
}

/// Media attachments' rows (the bytes are in the `BlobStore`, by hash) and profile
/// pictures. An attachment takes the data class of the post it is on.
#[async_trait]
pub trait MediaStore: Send + Sync {
    async fn create_media(&self, media: &crate::media::MediaAttachment) -> StoreResult<()>;
    async fn media(&self, id: Id) -> StoreResult<Option<crate::media::MediaAttachment>>;
    /// Records what processing made (kind, files, sizes, blurhash). None if gone.
    async fn finish_media(
        &self,
        done: &crate::media::MediaAttachment,
    ) -> StoreResult<Option<crate::media::MediaAttachment>>;
    /// None if gone.
    async fn update_media(
        &self,
        id: Id,
        description: Option<&str>,
        focus: Option<(f64, f64)>,
    ) -> StoreResult<Option<crate::media::MediaAttachment>>;
    /// Deletes the row; returns it, None if there was none.
    async fn delete_media(&self, id: Id) -> StoreResult<Option<crate::media::MediaAttachment>>;
    /// Attaches `ids` to the status in this order, in one write, and only if every one of
    /// them is `account`'s, unattached, processed and an attachment (not a profile
    /// picture); otherwise nothing changes and `Conflict("media")` is returned.
    async fn attach_media(&self, status: Id, account: Id, ids: &[Id]) -> StoreResult<()>;
    /// The attachments of these statuses, by status then position.
    async fn status_media(
        &self,
        statuses: &[Id],
    ) -> StoreResult<Vec<crate::media::MediaAttachment>>;
    /// Sets (or clears) an account's avatar or header file name; returns the previous one.
    async fn set_profile_file(
        &self,
        account: Id,
        role: crate::media::MediaRole,
        file: Option<&str>,
    ) -> StoreResult<Option<String>>;
    /// Whether any row (attachment, preview, profile picture or custom emoji) still names
    /// the blob.
    async fn blob_in_use(&self, hash: &str) -> StoreResult<bool>;
    /// The type of the blob when something public names it (an attachment of a public or
    /// unlisted post, a profile picture or a custom emoji): what may be served at a stable URL.
    async fn public_blob(&self, hash: &str) -> StoreResult<Option<String>>;
    /// Every blob hash some row names (the audit compares them with the blob store).
    async fn referenced_blobs(&self) -> StoreResult<Vec<String>>;
}

/// Uses of one tag on one day (UTC), for trends and Mastodon's `history`. Counts with no
/// person in them: `aggregate` class, the one form in which trends cross regions.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TagUse {
    pub tag: String,
    /// Days since the Unix epoch (UTC).
    pub day: i64,
    pub uses: i64,
    pub accounts: i64,
}

/// Where a suggested account comes from (Mastodon's `sources`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuggestionSource {
    FriendsOfFriends,
    Popular,
}

/// Search, trends and suggestions: the reads they need over statuses, tags, accounts and
/// the follow graph, the `indexable` opt-in and dismissed suggestions.
#[async_trait]
pub trait DiscoveryStore: Send + Sync {
    /// IDs and edit times of statuses that belong in the search index (no reblogs), after
    /// `after` in ID order, oldest first; rebuild and catch-up read the store by these.
    async fn index_states(
        &self,
        after: Id,
        limit: u32,
    ) -> StoreResult<Vec<(Id, Option<Timestamp>)>>;
    /// Among `ids`, those `viewer` may find by full-text search (Mastodon 4.2): visible to
    /// them and their own, liked, bookmarked or mentioning them (`Library`), or public posts
    /// of accounts that opted in (`Public`); `None` allows both.
    async fn searchable(
        &self,
        viewer: Id,
        ids: &[Id],
        scope: Option<crate::search::Scope>,
    ) -> StoreResult<Vec<Id>>;
    async fn set_indexable(&self, account: Id, indexable: bool) -> StoreResult<()>;
    async fn indexable(&self, account: Id) -> StoreResult<bool>;
    /// Findable accounts whose username starts with or display name contains `q`
    /// (case-insensitive), exact username first, then by followers; without those the
    /// viewer blocks, mutes or is blocked by; only accounts the viewer follows when
    /// `following`.
    async fn search_accounts(
        &self,
        q: &str,
        viewer: Option<Id>,
        following: bool,
        limit: u32,
        offset: u32,
    ) -> StoreResult<Vec<Id>>;
    /// Tags used here that start with `prefix` (normalised), most used first.
    async fn search_tags(&self, prefix: &str, limit: u32, offset: u32) -> StoreResult<Vec<String>>;
    /// Per tag and day, uses in public posts (no reblogs) since `since` and how many
    /// accounts made them, leaving out suspended and silenced authors; only `tags` when given.
    async fn tag_uses(&self, since: Timestamp, tags: Option<&[String]>)
        -> StoreResult<Vec<TagUse>>;
    /// Public posts (no reblogs, no replies) since `since` with any favourite, reblog or
    /// reply, most engaged first.
    async fn engaged_statuses(
        &self,
        since: Timestamp,
        limit: u32,
        offset: u32,
    ) -> StoreResult<Vec<Id>>;
    /// Up to `limit` discoverable accounts to suggest to `account`: followed by those it
    /// follows, then popular local ones; never itself, one it follows or asked to follow,
    /// one it blocks, mutes or is blocked by, or one it dismissed.
    async fn suggestions(
        &self,
        account: Id,
        limit: u32,
    ) -> StoreResult<Vec<(Id, SuggestionSource)>>;
    async fn dismiss_suggestion(&self, account: Id, target: Id) -> StoreResult<()>;
}

/// The region's custom emoji (public content of the region, owned by no user). Their files
/// are blobs like attachments': `MediaStore::blob_in_use`, `public_blob` and
/// `referenced_blobs` count them.
#[async_trait]
pub trait EmojiStore: Send + Sync {
    /// `Conflict("emoji")` when the shortcode is taken.
    async fn create_emoji(&self, emoji: &crate::emoji::CustomEmoji) -> StoreResult<()>;
    async fn emoji(&self, shortcode: &str) -> StoreResult<Option<crate::emoji::CustomEmoji>>;
    /// Every emoji, by shortcode.
    async fn emojis(&self) -> StoreResult<Vec<crate::emoji::CustomEmoji>>;
    /// Deletes it and returns the row; None if there was none.
    async fn delete_emoji(&self, shortcode: &str)
        -> StoreResult<Option<crate::emoji::CustomEmoji>>;
}

/// What this region keeps as a witness of the other regions' ledgers: the last head of each
/// that it cosigned, and the heads a region signed that conflict with one it cosigned.
#[async_trait]
pub trait WitnessStore: Send + Sync {
    /// The last head of `region` this region cosigned.
    async fn cosigned(&self, region: &str) -> StoreResult<Option<Cosigned>>;
    /// Keeps `c` as the region's last cosigned head if it is larger than the one kept (a
    /// witness never goes back); false if it was not.
    async fn save_cosigned(&self, c: &Cosigned) -> StoreResult<bool>;
    /// Keeps `e` unless evidence with the same conflicting head (size and root) is kept
    /// already; false then.
    async fn record_evidence(&self, e: &Evidence) -> StoreResult<bool>;
    /// The evidence kept against `region`, oldest first.
    async fn evidence(&self, region: &str) -> StoreResult<Vec<Evidence>>;
}
