//! The behaviour every [`Store`] implementation must show, as one async function per
//! behaviour. The functions only use the store traits, create their own accounts and
//! statuses with fresh IDs (usernames and regions carry a per-test tag), and mostly assert
//! on what they created or on differences they caused. They are meant to run on a fresh
//! database each (as the macro arranges); global counts (`instance_stats`) and
//! cross-account listings assume no other test writes to the same database meanwhile.
//!
//! Run them all against an implementation with [`conformance_suite!`](crate::conformance_suite):
//!
//! ```ignore
//! async fn fresh() -> (tempfile::TempDir, SqliteStore) { ... }
//! roost_store::conformance_suite!(fresh());
//! // A backend that may not be there: `None` skips.
//! async fn fresh_pg() -> Option<(TestDb, PgStore)> { ... }
//! roost_store::conformance_suite!(optional: fresh_pg());
//! ```
//!
//! The expression is evaluated (and awaited) once per test and must give a [`Fixture`]:
//! a store plus whatever keeps it alive. `(guard, store)` tuples (the store `Clone`, its
//! clones sharing the data as pool-backed stores do) and `Arc<dyn Store>` are fixtures
//! already. Tests that must hand the store to code keeping its own handle (the `Ledger`)
//! take the fixture instead of the store.

use async_trait::async_trait;
use jiff::Timestamp;
use roost_core::model::*;
use roost_core::store::{Favourited, Store, StoreError};
use roost_core::{Id, IdGen};
use roost_residency::ledger_log::{LedgerStore, LedgerStoreError};
use roost_residency::merkle::{self, verify_consistency, verify_inclusion};
use roost_residency::{DataClass, Direction, Hash, Ledger, LedgerEntry};
use std::collections::HashSet;
use std::sync::Arc;

// Lists, filters, conversations, followed tags.
mod organise;
pub use organise::*;
// Polls, scheduled posts, account extras, quotes, announcements.
mod polls;
pub use polls::*;
// Media attachments' conformance behaviours.
mod media;
pub use media::*;
// Custom emoji and their files.
mod emoji;
pub use emoji::*;
// Erasing an account, and the erasure records.
mod erasure;
pub use erasure::*;
// What a region holds as a witness of the other regions' ledgers.
mod witness;
pub use witness::*;
// Several nodes of one region on one database: outbox claims, job leases, the ledger,
// view counts.
mod nodes;
pub use nodes::*;

/// A store under test and whatever must live as long as it (a temporary directory, a
/// container handle...).
pub trait Fixture: Send + Sync {
    fn store(&self) -> &dyn Store;
    /// An owned handle on the same data, for code that keeps its store (the `Ledger`).
    fn shared(&self) -> Arc<dyn Store>;
    /// Another node of the region on the same data: a store of its own (its own pool)
    /// where the backend serves several nodes; by default another handle on this one (an
    /// SQLite file belongs to one process, whose workers share its store).
    fn other_node(&self) -> NodeFuture<'_> {
        let s = self.shared();
        Box::pin(async move { s })
    }
}

/// What [`Fixture::other_node`] gives: opening a second store may take a connection.
pub type NodeFuture<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Arc<dyn Store>> + Send + 'a>>;

impl<G: Send + Sync, S: Store + Clone + 'static> Fixture for (G, S) {
    fn store(&self) -> &dyn Store {
        &self.1
    }
    fn shared(&self) -> Arc<dyn Store> {
        Arc::new(self.1.clone())
    }
}

impl Fixture for Arc<dyn Store> {
    fn store(&self) -> &dyn Store {
        self.as_ref()
    }
    fn shared(&self) -> Arc<dyn Store> {
        self.clone()
    }
}

/// Expands to one `#[tokio::test]` per conformance behaviour, each running against a
/// fixture made by evaluating and awaiting `$make` (an expression giving a future of a
/// [`Fixture`]). The calling crate needs `tokio` with the `macros` and `rt` features.
///
/// `conformance_suite!(optional: make())` is for a backend that may be absent (a database
/// server): `make()` gives a future of an `Option` of a fixture, and each test returns at
/// once on `None` (the maker says why, e.g. SKIPPED).
#[macro_export]
macro_rules! conformance_suite {
    (optional: $make:expr) => {
        $crate::__conformance_list!(optional; $make);
    };
    ($make:expr) => {
        $crate::__conformance_list!(plain; $make);
    };
}

/// The behaviours, listed once for both forms of [`conformance_suite!`]. (`optional:`
/// takes a future of an `Option` of a fixture: `None` means the backend is not there, and
/// the fixture maker has said so; the test returns.)
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_list {
    ($mode:ident; $make:expr) => {
        $crate::__conformance_tests!(
            $mode store $make;
            account_create_get_and_lookup,
            account_conflicts,
            account_update_profile,
            identity_users_and_login,
            identity_apps_and_tokens,
            identity_auth_code_single_use,
            status_create_and_counters,
            status_fanout_to_followers,
            status_fanout_replies,
            home_holders_match_the_fanout,
            followers_among_accepted_follows,
            followed_among_accepted_follows,
            status_fanout_direct,
            status_fanout_reblog,
            visibility_matrix,
            pagination_home_and_public,
            public_timeline_contents_and_scope,
            tag_timeline,
            account_statuses_filters,
            delete_status_cascade,
            delete_status_counters,
            edit_and_history,
            thread_ancestors_descendants,
            favourites_and_bookmarks,
            reblogged_by_favourited_by_sharers,
            follow_lifecycle,
            follow_requests,
            follow_backfill_and_cleanup,
            relationships_matrix,
            notifications_behaviour,
            notifications_removed_by_status,
            follow_request_count,
            markers,
            views_counting,
            instance_stats,
            fanout_20k_followers,
            related_statuses,
            status_bundle_contents,
            reads_follow_every_write,
            remote_accounts_by_handle,
            follower_regions_and_followed_foreign,
            outbox_enqueue_and_due,
            outbox_retry_and_final_states,
            inbox_dedupe,
            foreign_records_and_expiry,
            ledger_leaves_append_and_read,
            ledger_indices_about_subject,
            safety_block_ends_follows_and_hides,
            safety_mutes_and_expiry,
            safety_domain_blocks_and_conversations,
            safety_favourite_applies_blocks_and_mutes,
            safety_lists_paginate,
            moderation_roles_and_standing,
            moderation_flags_show_on_every_read,
            moderation_reports,
            moderation_domain_blocks,
            lists_crud_and_ownership,
            list_members_rest_on_follows,
            list_members_may_wait_for_their_follow,
            list_timeline_fanout_and_replies_policy,
            exclusive_lists_keep_members_out_of_home,
            filters_save_read_and_delete,
            conversations_follow_direct_statuses,
            followed_tags_fan_out_to_home,
            polls_create_tally_and_own_votes,
            polls_replace_keep_or_reset_votes,
            polls_end_is_announced_once,
            scheduled_statuses_owner_paging_and_publish,
            extras_defaults_notes_and_endorsements,
            extras_featured_tags_and_suggestions,
            extras_familiar_followers_directory_and_activity,
            extras_profile_fields_round_trip,
            quotes_quoters_and_rebloggers,
            announcements_reads_and_reactions,
            polls_home_tally_replaces_local_counts,
            polls_carried_votes_add_to_the_votes_cast_here,
            media_rows_and_processing,
            media_attach_rules_and_public_blobs,
            media_profile_files,
            erasure_removes_the_account_and_keeps_other_counts,
            erasure_acknowledgements_count_once_per_told_region,
            erasures_abroad_are_recorded_in_the_same_write,
            moves_run_one_at_a_time_and_forward_their_ids,
            moves_mark_the_account_while_they_run,
            unfinished_moves_are_the_old_ones_whose_account_is_here,
            moved_in_accounts_are_found_again_and_keep_their_posts_ids,
            emoji_rows_round_trip_and_conflict,
            emoji_files_are_public_and_referenced,
            witness_keeps_larger_cosigned_heads_and_evidence_once,
            discovery_index_states_skip_reblogs,
            discovery_searchable_follows_mastodon,
            discovery_account_and_tag_search,
            discovery_engaged_statuses,
            discovery_suggestions,
        );
        $crate::__conformance_tests!(
            $mode fixture $make;
            ledger_over_store_proofs,
            outbox_claims_once_across_nodes,
            ledger_agrees_across_nodes,
            job_lease_held_by_one_node,
            views_from_two_nodes_add_up,
        );
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_tests {
    (plain fixture $make:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                let fixture = $make.await;
                $crate::conformance::$name(&fixture).await;
            }
        )*
    };
    (plain store $make:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                let fixture = $make.await;
                $crate::conformance::$name($crate::conformance::Fixture::store(&fixture)).await;
            }
        )*
    };
    (optional fixture $make:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                let Some(fixture) = $make.await else { return };
                $crate::conformance::$name(&fixture).await;
            }
        )*
    };
    (optional store $make:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                let Some(fixture) = $make.await else { return };
                $crate::conformance::$name($crate::conformance::Fixture::store(&fixture)).await;
            }
        )*
    };
}

// ---------------------------------------------------------------------------------------
// Helpers

fn page(limit: u32) -> Page {
    Page {
        limit,
        ..Page::default()
    }
}

fn ids_of(c: &[Cursored<Id>]) -> Vec<Id> {
    c.iter().map(|c| c.item).collect()
}

fn set(v: &[Id]) -> HashSet<Id> {
    v.iter().copied().collect()
}

/// One test's world: the store, an ID generator, and a tag that makes names unique.
struct W<'a> {
    s: &'a dyn Store,
    g: IdGen,
    tag: String,
}

impl<'a> W<'a> {
    fn new(s: &'a dyn Store) -> W<'a> {
        let g = IdGen::new(1);
        let tag = format!("{}", g.next().unwrap().0);
        W { s, g, tag }
    }

    fn id(&self) -> Id {
        self.g.next().unwrap()
    }

    /// A name unique to this test.
    fn name(&self, base: &str) -> String {
        format!("{base}_{}", self.tag)
    }

    /// A region unique to this test (for public timelines on a shared database).
    fn region(&self) -> String {
        format!("r{}", self.tag)
    }

    fn new_account(&self, base: &str, region: &str) -> NewAccount {
        NewAccount {
            id: self.id(),
            username: self.name(base),
            home_region: region.to_owned(),
            display_name: base.to_owned(),
            created_at: Timestamp::now(),
        }
    }

    fn user_for(&self, account: &NewAccount) -> User {
        User {
            account_id: account.id,
            email: format!("{}@example.com", account.username),
            password_hash: "$argon2id$fake".into(),
            locale: "en".into(),
            created_at: account.created_at,
            sign_up_ip: Some("192.0.2.1".into()),
        }
    }

    /// A local account (with a user row) in this test's region.
    async fn account(&self, base: &str) -> Id {
        let na = self.new_account(base, &self.region());
        let user = self.user_for(&na);
        self.s
            .create_account(&na, Some(&user))
            .await
            .expect("create account")
            .id
    }

    /// An account without a user row.
    async fn bare_account(&self, base: &str, region: &str) -> Id {
        let na = self.new_account(base, region);
        self.s
            .create_account(&na, None)
            .await
            .expect("create account")
            .id
    }

    fn draft(&self, author: Id, visibility: Visibility) -> NewStatus {
        let id = self.id();
        NewStatus {
            id,
            account_id: author,
            text: format!("status {id}"),
            content_html: format!("<p>status {id}</p>"),
            spoiler_text: String::new(),
            visibility,
            sensitive: false,
            language: Some("en".into()),
            in_reply_to_id: None,
            in_reply_to_account_id: None,
            reblog_of_id: None,
            quote_of_id: None,
            created_at: Timestamp::now(),
            mentions: Vec::new(),
            tags: Vec::new(),
            idempotency_key: None,
        }
    }

    async fn create(&self, new: NewStatus) -> Id {
        self.s.create_status(&new).await.expect("create status").id
    }

    async fn post(&self, author: Id, visibility: Visibility) -> Id {
        self.create(self.draft(author, visibility)).await
    }

    fn reply_draft(&self, author: Id, parent: &Status, visibility: Visibility) -> NewStatus {
        let mut d = self.draft(author, visibility);
        d.in_reply_to_id = Some(parent.id);
        d.in_reply_to_account_id = Some(parent.account_id);
        d
    }

    async fn reply(&self, author: Id, parent: Id, visibility: Visibility) -> Id {
        let p = self.status(parent).await;
        self.create(self.reply_draft(author, &p, visibility)).await
    }

    async fn reblog(&self, author: Id, target: Id) -> Id {
        let mut d = self.draft(author, Visibility::Public);
        d.reblog_of_id = Some(target);
        d.text = String::new();
        d.content_html = String::new();
        self.create(d).await
    }

    async fn quote(&self, author: Id, target: Id) -> Id {
        let mut d = self.draft(author, Visibility::Public);
        d.quote_of_id = Some(target);
        self.create(d).await
    }

    async fn follow(&self, follower: Id, target: Id) {
        let st = self
            .s
            .follow(
                self.id(),
                follower,
                target,
                FollowState::Accepted,
                false,
                true,
            )
            .await
            .expect("follow");
        assert_eq!(st, FollowState::Accepted);
    }

    async fn home(&self, account: Id) -> Vec<Id> {
        self.s.home_timeline(account, page(40)).await.expect("home")
    }

    async fn acct(&self, id: Id) -> Account {
        self.s
            .account(id)
            .await
            .expect("account")
            .expect("account exists")
    }

    async fn status(&self, id: Id) -> Status {
        self.s
            .status(id)
            .await
            .expect("status")
            .expect("status exists")
    }

    fn notification(
        &self,
        account: Id,
        kind: NotificationType,
        from: Id,
        status: Option<Id>,
    ) -> Notification {
        Notification {
            id: self.id(),
            account_id: account,
            kind,
            from_account_id: from,
            status_id: status,
            created_at: Timestamp::now(),
        }
    }
}

fn assert_conflict<T: std::fmt::Debug>(r: Result<T, StoreError>, rule: &str) {
    match r {
        Err(StoreError::Conflict(r)) if r == rule => {}
        other => panic!("expected Conflict({rule:?}), got {other:?}"),
    }
}

fn assert_missing<T: std::fmt::Debug>(r: Result<T, StoreError>, what: &str) {
    match r {
        Err(StoreError::Missing(m)) if m == what => {}
        other => panic!("expected Missing({what:?}), got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// Accounts

pub async fn account_create_get_and_lookup(s: &dyn Store) {
    let w = W::new(s);
    let mut na = w.new_account("Alice", "in");
    na.display_name = "Alice A.".into();
    let user = w.user_for(&na);
    let created = s.create_account(&na, Some(&user)).await.unwrap();
    assert_eq!(created.id, na.id);
    assert_eq!(created.username, na.username, "username keeps its case");
    assert_eq!(created.home_region, "in");
    assert_eq!(created.display_name, "Alice A.");
    assert_eq!(
        created.created_at.as_millisecond(),
        na.created_at.as_millisecond()
    );
    assert_eq!(
        (
            created.followers_count,
            created.following_count,
            created.statuses_count
        ),
        (0, 0, 0)
    );
    assert_eq!(created.last_status_at, None);
    assert!(!created.locked && !created.bot);

    let got = s.account(na.id).await.unwrap().unwrap();
    assert_eq!(got, created);
    assert!(s.account(w.id()).await.unwrap().is_none());

    let by_name = s
        .account_by_username(&na.username.to_uppercase())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_name.id, na.id);
    let by_name = s
        .account_by_username(&na.username.to_lowercase())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_name.id, na.id);
    assert!(s
        .account_by_username(&w.name("nobody"))
        .await
        .unwrap()
        .is_none());

    let b = w.bare_account("bob", "id").await;
    let c = w.bare_account("carol", "id").await;
    let unknown = w.id();
    let got = s.accounts(&[c, unknown, na.id]).await.unwrap();
    assert_eq!(
        set(&got.iter().map(|a| a.id).collect::<Vec<_>>()),
        set(&[c, na.id])
    );
    assert!(s.accounts(&[]).await.unwrap().is_empty());

    // Paged by ID, newest first.
    let mine = set(&[na.id, b, c]);
    let listed = s
        .list_accounts(Page {
            since_id: Some(Id(na.id.0 - 1)),
            ..page(40)
        })
        .await
        .unwrap();
    let listed: Vec<Id> = listed
        .iter()
        .map(|a| a.id)
        .filter(|id| mine.contains(id))
        .collect();
    assert_eq!(listed, vec![c, b, na.id]);
    let listed = s
        .list_accounts(Page {
            max_id: Some(c),
            since_id: Some(na.id),
            ..page(40)
        })
        .await
        .unwrap();
    assert_eq!(listed.iter().map(|a| a.id).collect::<Vec<_>>(), vec![b]);
}

pub async fn account_conflicts(s: &dyn Store) {
    let w = W::new(s);
    let na = w.new_account("Dave", "in");
    let user = w.user_for(&na);
    s.create_account(&na, Some(&user)).await.unwrap();

    // Same username, other case.
    let mut dup = w.new_account("x", "in");
    dup.username = na.username.to_uppercase();
    let dup_user = User {
        email: format!("other_{}@example.com", w.tag),
        ..w.user_for(&dup)
    };
    assert_conflict(s.create_account(&dup, Some(&dup_user)).await, "username");
    assert_conflict(s.create_account(&dup, None).await, "username");

    // Same e-mail, other case: nothing of the new account is kept.
    let other = w.new_account("erin", "in");
    let other_user = User {
        email: user.email.to_uppercase(),
        ..w.user_for(&other)
    };
    assert_conflict(s.create_account(&other, Some(&other_user)).await, "email");
    assert!(s.account(other.id).await.unwrap().is_none());
    assert!(s
        .account_by_username(&other.username)
        .await
        .unwrap()
        .is_none());

    // With a free e-mail it works.
    let ok_user = w.user_for(&other);
    s.create_account(&other, Some(&ok_user)).await.unwrap();
}

pub async fn account_update_profile(s: &dyn Store) {
    let w = W::new(s);
    let a = w.account("frank").await;
    let before = w.acct(a).await;
    let updated = s
        .update_profile(
            a,
            &ProfileUpdate {
                display_name: Some("Frank F.".into()),
                note_source: Some("hi *there*".into()),
                note_html: Some("<p>hi <em>there</em></p>".into()),
                locked: Some(true),
                bot: None,
                discoverable: Some(true),
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.display_name, "Frank F.");
    assert_eq!(updated.note_source, "hi *there*");
    assert_eq!(updated.note_html, "<p>hi <em>there</em></p>");
    assert!(updated.locked);
    assert_eq!(updated.bot, before.bot);
    assert!(updated.discoverable);
    assert_eq!(w.acct(a).await, updated);

    // Fields left None stay.
    let again = s
        .update_profile(
            a,
            &ProfileUpdate {
                bot: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(again.bot && again.locked);
    assert_eq!(again.display_name, "Frank F.");

    assert_missing(
        s.update_profile(w.id(), &ProfileUpdate::default()).await,
        "account",
    );
}

// ---------------------------------------------------------------------------------------
// Identity

pub async fn identity_users_and_login(s: &dyn Store) {
    let w = W::new(s);
    let na = w.new_account("Grace", "in");
    let mut user = w.user_for(&na);
    user.email = format!("Grace.{}@Example.COM", w.tag);
    s.create_account(&na, Some(&user)).await.unwrap();

    for login in [
        na.username.clone(),
        na.username.to_lowercase(),
        user.email.clone(),
        user.email.to_lowercase(),
    ] {
        let u = s
            .user_by_login(&login)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("login {login}"));
        assert_eq!(u.account_id, na.id);
        assert_eq!(u.email, user.email, "e-mail kept as typed");
        assert_eq!(u.password_hash, user.password_hash);
        assert_eq!(u.locale, "en");
        assert_eq!(u.sign_up_ip.as_deref(), Some("192.0.2.1"));
    }
    assert!(s.user_by_login(&w.name("nobody")).await.unwrap().is_none());

    let u = s.user(na.id).await.unwrap().unwrap();
    assert_eq!(u.account_id, na.id);

    // An account without a user row has no login.
    let bare = w.bare_account("remote", "id").await;
    assert!(s.user(bare).await.unwrap().is_none());
    assert!(s.user_by_login(&w.name("remote")).await.unwrap().is_none());
}

pub async fn identity_apps_and_tokens(s: &dyn Store) {
    let w = W::new(s);
    let a = w.account("henry").await;
    let app = App {
        id: w.id(),
        name: "Test client".into(),
        website: Some("https://client.example".into()),
        redirect_uris: vec![
            "urn:ietf:wg:oauth:2.0:oob".into(),
            "https://client.example/cb".into(),
        ],
        scopes: "read write".into(),
        client_id: w.name("cid"),
        client_secret: "secret".into(),
        created_at: Timestamp::now(),
    };
    s.create_app(&app).await.unwrap();
    for got in [
        s.app(app.id).await.unwrap().unwrap(),
        s.app_by_client_id(&app.client_id).await.unwrap().unwrap(),
    ] {
        assert_eq!(got.id, app.id);
        assert_eq!(got.name, app.name);
        assert_eq!(got.website, app.website);
        assert_eq!(got.redirect_uris, app.redirect_uris);
        assert_eq!(got.scopes, app.scopes);
        assert_eq!(got.client_secret, app.client_secret);
    }
    assert!(s.app(w.id()).await.unwrap().is_none());
    assert!(s.app_by_client_id(&w.name("nope")).await.unwrap().is_none());

    let user_token = Token {
        id: w.id(),
        app_id: app.id,
        account_id: Some(a),
        scopes: "read".into(),
        access_hash: w.name("access1"),
        refresh_hash: Some(w.name("refresh1")),
        created_at: Timestamp::now(),
        revoked: false,
        pending: false,
    };
    let app_token = Token {
        id: w.id(),
        account_id: None,
        access_hash: w.name("access2"),
        refresh_hash: None,
        ..user_token.clone()
    };
    s.create_token(&user_token).await.unwrap();
    s.create_token(&app_token).await.unwrap();

    let t = s
        .token_by_access_hash(&user_token.access_hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (t.id, t.app_id, t.account_id),
        (user_token.id, app.id, Some(a))
    );
    assert_eq!(t.refresh_hash, user_token.refresh_hash);
    assert!(!t.revoked);
    let t = s
        .token_by_refresh_hash(user_token.refresh_hash.as_deref().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(t.id, user_token.id);
    let t = s
        .token_by_access_hash(&app_token.access_hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(t.account_id, None);
    assert!(s
        .token_by_access_hash(&w.name("unknown"))
        .await
        .unwrap()
        .is_none());
    // A hash only matches in its own column.
    assert!(s
        .token_by_access_hash(user_token.refresh_hash.as_deref().unwrap())
        .await
        .unwrap()
        .is_none());

    assert!(s.revoke_token(user_token.id).await.unwrap());
    assert!(
        !s.revoke_token(user_token.id).await.unwrap(),
        "already revoked"
    );
    assert!(!s.revoke_token(w.id()).await.unwrap(), "no such token");
    assert!(s
        .token_by_access_hash(&user_token.access_hash)
        .await
        .unwrap()
        .is_none());
    assert!(s
        .token_by_refresh_hash(user_token.refresh_hash.as_deref().unwrap())
        .await
        .unwrap()
        .is_none());
    assert!(s
        .token_by_access_hash(&app_token.access_hash)
        .await
        .unwrap()
        .is_some());
}

pub async fn identity_auth_code_single_use(s: &dyn Store) {
    let w = W::new(s);
    let a = w.account("iris").await;
    let app = App {
        id: w.id(),
        name: "c".into(),
        website: None,
        redirect_uris: vec!["https://c.example/cb".into()],
        scopes: "read".into(),
        client_id: w.name("cid"),
        client_secret: "s".into(),
        created_at: Timestamp::now(),
    };
    s.create_app(&app).await.unwrap();
    assert_eq!(s.app(app.id).await.unwrap().unwrap().website, None);
    let expires_at =
        Timestamp::from_millisecond(Timestamp::now().as_millisecond() + 600_000).unwrap();
    let code = AuthCode {
        code_hash: w.name("code"),
        app_id: app.id,
        account_id: a,
        redirect_uri: "https://c.example/cb".into(),
        scopes: "read".into(),
        code_challenge: Some("challenge".into()),
        code_challenge_method: Some("S256".into()),
        expires_at,
    };
    s.create_auth_code(&code).await.unwrap();
    let taken = s.take_auth_code(&code.code_hash).await.unwrap().unwrap();
    assert_eq!((taken.app_id, taken.account_id), (app.id, a));
    assert_eq!(taken.redirect_uri, code.redirect_uri);
    assert_eq!(taken.code_challenge.as_deref(), Some("challenge"));
    assert_eq!(taken.code_challenge_method.as_deref(), Some("S256"));
    assert_eq!(
        taken.expires_at.as_millisecond(),
        expires_at.as_millisecond()
    );
    assert!(
        s.take_auth_code(&code.code_hash).await.unwrap().is_none(),
        "a code works once"
    );
    assert!(s.take_auth_code(&w.name("other")).await.unwrap().is_none());
}

// ---------------------------------------------------------------------------------------
// Statuses

pub async fn status_create_and_counters(s: &dyn Store) {
    let w = W::new(s);
    let a = w.account("jack").await;
    let b = w.account("kate").await;
    let m = w.account("liam").await;

    let mut d = w.draft(a, Visibility::Public);
    d.spoiler_text = "cw".into();
    d.sensitive = true;
    d.mentions = vec![m, b];
    d.tags = vec!["rust".into(), "sqlite".into()];
    d.idempotency_key = Some("key-1".into());
    let created = s.create_status(&d).await.unwrap();
    assert_eq!(created.id, d.id);
    assert_eq!(
        (
            created.replies_count,
            created.reblogs_count,
            created.favourites_count
        ),
        (0, 0, 0)
    );
    let got = w.status(d.id).await;
    assert_eq!(got, created);
    assert_eq!(got.text, d.text);
    assert_eq!(got.spoiler_text, "cw");
    assert!(got.sensitive);
    assert_eq!(got.language.as_deref(), Some("en"));
    assert_eq!(got.visibility, Visibility::Public);
    assert_eq!(got.edited_at, None);
    assert!(!got.pinned);

    assert_eq!(
        s.mentions(&[d.id]).await.unwrap(),
        vec![(d.id, m), (d.id, b)],
        "mention order kept"
    );
    let mut tags = s.tags(&[d.id]).await.unwrap();
    tags.sort();
    assert_eq!(
        tags,
        vec![(d.id, "rust".to_string()), (d.id, "sqlite".to_string())]
    );
    assert_eq!(
        s.status_by_idempotency_key(a, "key-1").await.unwrap(),
        Some(d.id)
    );
    assert_eq!(s.status_by_idempotency_key(b, "key-1").await.unwrap(), None);
    assert_eq!(s.status_by_idempotency_key(a, "key-2").await.unwrap(), None);

    let author = w.acct(a).await;
    assert_eq!(author.statuses_count, 1);
    assert_eq!(
        author.last_status_at.map(|t| t.as_millisecond()),
        Some(d.created_at.as_millisecond())
    );

    let reply = w.reply(b, d.id, Visibility::Public).await;
    let reblog = w.reblog(b, d.id).await;
    let quote = w.quote(m, d.id).await;
    let parent = w.status(d.id).await;
    assert_eq!(
        (
            parent.replies_count,
            parent.reblogs_count,
            parent.quotes_count
        ),
        (1, 1, 1)
    );
    assert_eq!(
        w.acct(b).await.statuses_count,
        2,
        "reblogs count as statuses"
    );
    assert_eq!(w.status(reply).await.in_reply_to_account_id, Some(a));
    assert_eq!(w.status(reblog).await.reblog_of_id, Some(d.id));
    assert_eq!(w.status(quote).await.quote_of_id, Some(d.id));
    assert_eq!(s.find_reblog(b, d.id).await.unwrap(), Some(reblog));
    assert_eq!(s.find_reblog(m, d.id).await.unwrap(), None);

    let got = s.statuses(&[reply, w.id(), quote]).await.unwrap();
    assert_eq!(
        set(&got.iter().map(|s| s.id).collect::<Vec<_>>()),
        set(&[reply, quote])
    );

    // References to statuses that do not exist.
    let gone = w.id();
    let mut r = w.draft(b, Visibility::Public);
    r.in_reply_to_id = Some(gone);
    r.in_reply_to_account_id = Some(a);
    assert_missing(s.create_status(&r).await, "status");
    let mut r = w.draft(b, Visibility::Public);
    r.reblog_of_id = Some(gone);
    assert_missing(s.create_status(&r).await, "status");
    let mut r = w.draft(b, Visibility::Public);
    r.quote_of_id = Some(gone);
    assert_missing(s.create_status(&r).await, "status");
    assert!(s.status(r.id).await.unwrap().is_none());
    assert_eq!(
        w.acct(b).await.statuses_count,
        2,
        "failed creates change nothing"
    );

    // Followers-only and direct replies exist but are not counted: the count is public.
    w.reply(m, d.id, Visibility::Private).await;
    w.reply(m, d.id, Visibility::Direct).await;
    assert_eq!(w.status(d.id).await.replies_count, 1);
}

pub async fn status_fanout_to_followers(s: &dyn Store) {
    let w = W::new(s);
    let a = w.account("author").await;
    let f = w.account("follower").await;
    let n = w.account("stranger").await;
    let q = w.account("requester").await;
    w.follow(f, a).await;
    s.follow(w.id(), q, a, FollowState::Requested, false, true)
        .await
        .unwrap();

    let public = w.post(a, Visibility::Public).await;
    let unlisted = w.post(a, Visibility::Unlisted).await;
    let private = w.post(a, Visibility::Private).await;
    assert_eq!(
        w.home(a).await,
        vec![private, unlisted, public],
        "the author's own home"
    );
    assert_eq!(w.home(f).await, vec![private, unlisted, public]);
    assert!(w.home(n).await.is_empty());
    assert!(
        w.home(q).await.is_empty(),
        "a pending request brings nothing"
    );
}

pub async fn status_fanout_replies(s: &dyn Store) {
    let w = W::new(s);
    let a = w.account("a").await;
    let c = w.account("c").await;
    let f1 = w.account("f1").await; // follows a and c
    let f2 = w.account("f2").await; // follows a only
    w.follow(f1, a).await;
    w.follow(f2, a).await;
    w.follow(c, a).await;
    w.follow(f1, c).await;

    let cp = w.post(c, Visibility::Public).await;
    let r = w.reply(a, cp, Visibility::Public).await;
    assert!(w.home(a).await.contains(&r));
    assert!(
        w.home(f1).await.contains(&r),
        "follows the replied-to account"
    );
    assert!(w.home(c).await.contains(&r), "is the replied-to account");
    assert!(
        !w.home(f2).await.contains(&r),
        "does not follow the replied-to account"
    );

    // Replying to oneself (a thread) reaches every follower.
    let ap = w.post(a, Visibility::Public).await;
    let thread = w.reply(a, ap, Visibility::Public).await;
    for x in [a, f1, f2, c] {
        assert!(w.home(x).await.contains(&thread));
    }
}

/// `home_holders` (who a live stream sends a status to) agrees with the fan-out.
pub async fn home_holders_match_the_fanout(s: &dyn Store) {
    let w = W::new(s);
    let a = w.account("a").await;
    let c = w.account("c").await;
    let f1 = w.account("f1").await;
    let f2 = w.account("f2").await;
    let stranger = w.account("stranger").await;
    w.follow(f1, a).await;
    w.follow(f2, a).await;
    w.follow(f1, c).await;
    let sorted = |mut v: Vec<Id>| {
        v.sort();
        v
    };
    let cp = w.post(c, Visibility::Public).await;
    let reply = w.reply(a, cp, Visibility::Public).await;
    let all = [a, c, f1, f2, stranger];
    let want = sorted(vec![a, f1]);
    assert_eq!(
        sorted(s.home_holders(reply, Some(&all)).await.unwrap()),
        want,
        "author and the follower who also follows the replied-to account"
    );
    assert_eq!(sorted(s.home_holders(reply, None).await.unwrap()), want);
    assert_eq!(
        s.home_holders(reply, Some(&[f2, stranger])).await.unwrap(),
        Vec::<Id>::new()
    );
    assert_eq!(
        s.home_holders(reply, Some(&[])).await.unwrap(),
        Vec::<Id>::new()
    );
    let post = w.post(a, Visibility::Private).await;
    assert_eq!(
        sorted(s.home_holders(post, Some(&all)).await.unwrap()),
        sorted(vec![a, f1, f2])
    );
    // More IDs than one statement binds.
    let many: Vec<Id> = (0..2_500).map(|i| Id(i64::MAX - i)).chain([f2]).collect();
    assert_eq!(s.home_holders(post, Some(&many)).await.unwrap(), vec![f2]);
    assert_eq!(
        s.home_holders(Id(424242), None).await.unwrap(),
        Vec::<Id>::new(),
        "an unknown status is held by no one"
    );
}

pub async fn followers_among_accepted_follows(s: &dyn Store) {
    let w = W::new(s);
    let a = w.account("a").await;
    let f = w.account("f").await;
    let pending = w.account("pending").await;
    let other = w.account("other").await;
    w.follow(f, a).await;
    s.follow(w.id(), pending, a, FollowState::Requested, false, true)
        .await
        .unwrap();
    assert_eq!(
        s.followers_among(a, &[f, pending, other, a]).await.unwrap(),
        vec![f],
        "only accepted followers"
    );
    assert!(s.followers_among(a, &[]).await.unwrap().is_empty());
    let many: Vec<Id> = (0..2_500).map(|i| Id(i64::MAX - i)).chain([f]).collect();
    assert_eq!(s.followers_among(a, &many).await.unwrap(), vec![f]);
}

pub async fn followed_among_accepted_follows(s: &dyn Store) {
    let w = W::new(s);
    let v = w.account("v").await;
    let followed = w.account("followed").await;
    let requested = w.account("requested").await;
    let follows_v = w.account("follows_v").await;
    let stranger = w.account("stranger").await;
    w.follow(v, followed).await;
    w.follow(follows_v, v).await;
    s.follow(w.id(), v, requested, FollowState::Requested, false, true)
        .await
        .unwrap();
    let mut got = s
        .followed_among(v, &[followed, requested, follows_v, stranger, v])
        .await
        .unwrap();
    got.sort_unstable();
    assert_eq!(got, vec![followed], "only accepted follows, one way");
    assert!(s.followed_among(v, &[]).await.unwrap().is_empty());
    let many: Vec<Id> = (0..2_500)
        .map(|i| Id(i64::MAX - i))
        .chain([followed])
        .collect();
    assert_eq!(s.followed_among(v, &many).await.unwrap(), vec![followed]);
    s.unfollow(v, followed).await.unwrap();
    assert!(s.followed_among(v, &[followed]).await.unwrap().is_empty());
}

pub async fn status_fanout_direct(s: &dyn Store) {
    let w = W::new(s);
    let a = w.account("a").await;
    let f = w.account("f").await;
    let m = w.account("m").await;
    w.follow(f, a).await;
    let mut d = w.draft(a, Visibility::Direct);
    d.mentions = vec![m];
    let dm = w.create(d).await;
    assert_eq!(w.home(a).await, vec![dm]);
    assert_eq!(w.home(m).await, vec![dm]);
    assert!(
        w.home(f).await.is_empty(),
        "followers do not get direct statuses"
    );
}

pub async fn status_fanout_reblog(s: &dyn Store) {
    let w = W::new(s);
    let a = w.account("orig").await;
    let b = w.account("booster").await;
    let f1 = w.account("f1").await;
    let f2 = w.account("f2").await;
    w.follow(f1, b).await;
    w.follow(a, b).await;
    s.follow(w.id(), f2, b, FollowState::Accepted, false, false)
        .await
        .unwrap();

    let p = w.post(a, Visibility::Public).await;
    let rb = w.reblog(b, p).await;
    assert!(w.home(b).await.contains(&rb));
    assert!(w.home(f1).await.contains(&rb));
    assert!(
        !w.home(a).await.contains(&rb),
        "not to the reblogged status's author"
    );
    assert!(
        !w.home(f2).await.contains(&rb),
        "not to followers hiding reblogs"
    );

    let mut again = w.draft(b, Visibility::Public);
    again.reblog_of_id = Some(p);
    assert_conflict(s.create_status(&again).await, "reblog");
    assert_eq!(w.status(p).await.reblogs_count, 1);
    assert_eq!(w.acct(b).await.statuses_count, 1);
    // Another account may reblog it too.
    w.reblog(f1, p).await;
    assert_eq!(w.status(p).await.reblogs_count, 2);
}

pub async fn visibility_matrix(s: &dyn Store) {
    let w = W::new(s);
    let a = w.account("author").await;
    let f = w.account("follower").await;
    let m = w.account("mentioned").await;
    let x = w.account("stranger").await;
    let q = w.account("requester").await;
    w.follow(f, a).await;
    s.follow(w.id(), q, a, FollowState::Requested, false, true)
        .await
        .unwrap();

    let mut by_vis = Vec::new();
    for vis in [
        Visibility::Public,
        Visibility::Unlisted,
        Visibility::Private,
        Visibility::Direct,
    ] {
        let mut d = w.draft(a, vis);
        d.mentions = vec![m];
        by_vis.push((vis, w.create(d).await));
    }
    let all: Vec<Id> = by_vis.iter().map(|v| v.1).collect();
    let expect = |viewer: &str, vis: Visibility| -> bool {
        match vis {
            Visibility::Public | Visibility::Unlisted => true,
            Visibility::Private => matches!(viewer, "follower" | "mentioned" | "author"),
            Visibility::Direct => matches!(viewer, "mentioned" | "author"),
        }
    };
    let viewers = [
        ("anonymous", None),
        ("stranger", Some(x)),
        ("requester", Some(q)),
        ("follower", Some(f)),
        ("mentioned", Some(m)),
        ("author", Some(a)),
    ];
    for (name, viewer) in viewers {
        let seen = set(&s.visible_ids(viewer, &all).await.unwrap());
        let listed = s
            .account_statuses(a, viewer, &AccountStatusFilter::default(), page(40))
            .await
            .unwrap();
        let wanted: Vec<Id> = by_vis
            .iter()
            .rev()
            .filter(|(v, _)| expect(name, *v))
            .map(|v| v.1)
            .collect();
        for (vis, id) in &by_vis {
            assert_eq!(
                seen.contains(id),
                expect(name, *vis),
                "visible_ids: {name} / {vis:?}"
            );
        }
        assert_eq!(listed, wanted, "account_statuses: {name}");
    }

    // Reblogs: visible when both the reblog and the reblogged status are.
    let private = by_vis[2].1;
    let rb_private = {
        let mut d = w.draft(f, Visibility::Public);
        d.reblog_of_id = Some(private);
        w.create(d).await
    };
    let rb_public = w.reblog(f, by_vis[0].1).await;
    let ids = [rb_private, rb_public];
    assert_eq!(
        set(&s.visible_ids(None, &ids).await.unwrap()),
        set(&[rb_public])
    );
    assert_eq!(
        set(&s.visible_ids(Some(x), &ids).await.unwrap()),
        set(&[rb_public])
    );
    assert_eq!(
        set(&s.visible_ids(Some(a), &ids).await.unwrap()),
        set(&[rb_private, rb_public])
    );
    assert_eq!(
        set(&s.visible_ids(Some(m), &ids).await.unwrap()),
        set(&[rb_private, rb_public])
    );
    let listed = s
        .account_statuses(f, None, &AccountStatusFilter::default(), page(40))
        .await
        .unwrap();
    assert_eq!(listed, vec![rb_public]);
    let listed = s
        .account_statuses(f, Some(a), &AccountStatusFilter::default(), page(40))
        .await
        .unwrap();
    assert_eq!(listed, vec![rb_public, rb_private]);

    // Unknown IDs are simply absent.
    assert!(s.visible_ids(Some(a), &[w.id()]).await.unwrap().is_empty());
    assert!(s.visible_ids(None, &[]).await.unwrap().is_empty());
}

pub async fn pagination_home_and_public(s: &dyn Store) {
    let w = W::new(s);
    let a = w.account("poster").await;
    let f = w.account("reader").await;
    w.follow(f, a).await;
    let mut st = Vec::new();
    for _ in 0..10 {
        st.push(w.post(a, Visibility::Public).await);
    }
    let scope = RegionScope::Only(w.region());
    let rev = |idx: &[usize]| idx.iter().map(|&i| st[i]).collect::<Vec<Id>>();
    let cases: Vec<(Page, Vec<Id>)> = vec![
        (page(3), rev(&[9, 8, 7])),
        (
            Page {
                max_id: Some(st[7]),
                ..page(3)
            },
            rev(&[6, 5, 4]),
        ),
        (
            Page {
                since_id: Some(st[2]),
                ..page(3)
            },
            rev(&[9, 8, 7]),
        ),
        (
            Page {
                min_id: Some(st[2]),
                ..page(3)
            },
            rev(&[5, 4, 3]),
        ),
        (
            Page {
                min_id: Some(st[2]),
                max_id: Some(st[5]),
                ..page(10)
            },
            rev(&[4, 3]),
        ),
        (
            Page {
                since_id: Some(st[2]),
                max_id: Some(st[6]),
                ..page(10)
            },
            rev(&[5, 4, 3]),
        ),
        (
            Page {
                max_id: Some(st[0]),
                ..page(10)
            },
            vec![],
        ),
        (
            Page {
                min_id: Some(st[9]),
                ..page(10)
            },
            vec![],
        ),
        (page(40), rev(&[9, 8, 7, 6, 5, 4, 3, 2, 1, 0])),
    ];
    for (p, want) in cases {
        assert_eq!(s.home_timeline(f, p).await.unwrap(), want, "home {p:?}");
        assert_eq!(
            s.public_timeline(&scope, p).await.unwrap(),
            want,
            "public {p:?}"
        );
        let acct = s
            .account_statuses(a, None, &AccountStatusFilter::default(), p)
            .await
            .unwrap();
        assert_eq!(acct, want, "account statuses {p:?}");
    }
}

pub async fn public_timeline_contents_and_scope(s: &dyn Store) {
    let w = W::new(s);
    let region = w.region();
    let other = format!("o{}", w.tag);
    let a = w.account("local").await;
    let b = w.bare_account("abroad", &other).await;
    let public = w.post(a, Visibility::Public).await;
    w.post(a, Visibility::Unlisted).await;
    w.post(a, Visibility::Private).await;
    w.post(a, Visibility::Direct).await;
    let foreign = w.post(b, Visibility::Public).await;
    w.reblog(a, foreign).await;
    // A reply to someone else stays out (Mastodon's default); a thread of one's own stays in.
    let reply = w.reply(a, foreign, Visibility::Public).await;
    let thread = w.reply(a, public, Visibility::Public).await;

    assert_eq!(
        s.public_timeline(&RegionScope::Only(region.clone()), page(40))
            .await
            .unwrap(),
        vec![thread, public]
    );
    assert_eq!(
        s.public_timeline(&RegionScope::Only(other.clone()), page(40))
            .await
            .unwrap(),
        vec![foreign]
    );
    let mine = set(&[public, foreign, reply, thread]);
    let all = s
        .public_timeline(
            &RegionScope::All,
            Page {
                since_id: Some(Id(public.0 - 1)),
                ..page(40)
            },
        )
        .await
        .unwrap();
    let all: Vec<Id> = all.into_iter().filter(|id| mine.contains(id)).collect();
    assert_eq!(all, vec![thread, foreign, public]);
    let except = s
        .public_timeline(
            &RegionScope::Except(region.clone()),
            Page {
                since_id: Some(Id(public.0 - 1)),
                ..page(40)
            },
        )
        .await
        .unwrap();
    assert!(except.contains(&foreign) && !except.contains(&public) && !except.contains(&reply));
}

pub async fn tag_timeline(s: &dyn Store) {
    let w = W::new(s);
    let region = w.region();
    let a = w.account("tagger").await;
    let tag = format!("t{}", w.tag);
    let mut ids = Vec::new();
    for vis in [
        Visibility::Public,
        Visibility::Unlisted,
        Visibility::Private,
        Visibility::Public,
    ] {
        let mut d = w.draft(a, vis);
        d.tags = vec![tag.clone(), "other".into()];
        ids.push(w.create(d).await);
    }
    w.post(a, Visibility::Public).await; // untagged
    w.reblog(a, ids[0]).await;
    let scope = RegionScope::Only(region.clone());
    assert_eq!(
        s.tag_timeline(&tag, &scope, page(40)).await.unwrap(),
        vec![ids[3], ids[0]]
    );
    assert_eq!(
        s.tag_timeline(&tag, &scope, page(1)).await.unwrap(),
        vec![ids[3]]
    );
    assert_eq!(
        s.tag_timeline(
            &tag,
            &scope,
            Page {
                max_id: Some(ids[3]),
                ..page(5)
            }
        )
        .await
        .unwrap(),
        vec![ids[0]]
    );
    assert_eq!(
        s.tag_timeline(&tag, &RegionScope::All, page(40))
            .await
            .unwrap(),
        vec![ids[3], ids[0]]
    );
    assert!(s
        .tag_timeline(&tag, &RegionScope::Except(region), page(40))
        .await
        .unwrap()
        .is_empty());
    assert!(s
        .tag_timeline(&format!("none{}", w.tag), &scope, page(40))
        .await
        .unwrap()
        .is_empty());
}

pub async fn account_statuses_filters(s: &dyn Store) {
    let w = W::new(s);
    let a = w.account("a").await;
    let b = w.account("b").await;
    let bp = w.post(b, Visibility::Public).await;
    let p = w.post(a, Visibility::Public).await;
    let reply_other = w.reply(a, bp, Visibility::Public).await;
    let self_reply = w.reply(a, p, Visibility::Public).await;
    let rb = w.reblog(a, bp).await;
    let mut d = w.draft(a, Visibility::Public);
    d.tags = vec!["rust".into()];
    let tagged = w.create(d).await;

    let list = |f: AccountStatusFilter| async move {
        s.account_statuses(a, Some(b), &f, page(40)).await.unwrap()
    };
    assert_eq!(
        list(AccountStatusFilter::default()).await,
        vec![tagged, rb, self_reply, reply_other, p]
    );
    assert_eq!(
        list(AccountStatusFilter {
            exclude_replies: true,
            ..Default::default()
        })
        .await,
        vec![tagged, rb, self_reply, p],
        "replies to others go, the author's own threads stay"
    );
    assert_eq!(
        list(AccountStatusFilter {
            exclude_reblogs: true,
            ..Default::default()
        })
        .await,
        vec![tagged, self_reply, reply_other, p]
    );
    assert_eq!(
        list(AccountStatusFilter {
            tagged: Some("rust".into()),
            ..Default::default()
        })
        .await,
        vec![tagged]
    );
    assert!(
        list(AccountStatusFilter {
            only_media: true,
            ..Default::default()
        })
        .await
        .is_empty(),
        "no post of theirs has a file"
    );

    assert!(list(AccountStatusFilter {
        pinned: true,
        ..Default::default()
    })
    .await
    .is_empty());
    assert!(s.set_pinned(p, true).await.unwrap());
    assert!(w.status(p).await.pinned);
    assert_eq!(
        list(AccountStatusFilter {
            pinned: true,
            ..Default::default()
        })
        .await,
        vec![p]
    );
    s.set_pinned(p, false).await.unwrap();
    assert!(!w.status(p).await.pinned);
    assert!(list(AccountStatusFilter {
        pinned: true,
        ..Default::default()
    })
    .await
    .is_empty());
}

pub async fn delete_status_cascade(s: &dyn Store) {
    let w = W::new(s);
    let a = w.account("a").await;
    let [b, c, d, e, f, g, m] = [
        w.account("b").await,
        w.account("c").await,
        w.account("d").await,
        w.account("e").await,
        w.account("f").await,
        w.account("g").await,
        w.account("m").await,
    ];
    w.follow(f, a).await;
    w.follow(g, d).await;
    let mut draft = w.draft(a, Visibility::Public);
    draft.mentions = vec![m];
    draft.tags = vec![format!("t{}", w.tag)];
    let st = w.create(draft).await;
    let reply = w.reply(b, st, Visibility::Public).await;
    let quote = w.quote(c, st).await;
    let rb = w.reblog(d, st).await;
    assert!(s.favourite(w.id(), e, st, None).await.unwrap().is_new());
    assert!(s.bookmark(w.id(), e, st).await.unwrap());
    s.create_notifications(&[
        w.notification(a, NotificationType::Favourite, e, Some(st)),
        w.notification(d, NotificationType::Mention, a, Some(st)),
        w.notification(a, NotificationType::Follow, f, None),
    ])
    .await
    .unwrap();
    s.edit_status(
        st,
        &StatusEdit {
            text: "edited".into(),
            content_html: "<p>edited</p>".into(),
            spoiler_text: String::new(),
            sensitive: false,
            language: None,
            mentions: vec![m],
            tags: vec![format!("t{}", w.tag)],
            edited_at: Timestamp::now(),
        },
    )
    .await
    .unwrap();
    s.add_views(&[(st, 100, 5)]).await.unwrap();
    // Its Create, one delivered and one still waiting, carry its text.
    let mut sent = w.outbox_item("far", T0);
    sent.object = format!("status:{st}");
    sent.subject = Some(a);
    sent.body = "carries the post".into();
    sent.state = OutboxState::Delivered;
    let mut waiting = sent.clone();
    waiting.id = w.id();
    waiting.state = OutboxState::Pending;
    let mut other = w.outbox_item("far", T0);
    other.body = "another post's".into();
    s.enqueue(&[sent.clone(), waiting.clone(), other.clone()])
        .await
        .unwrap();
    assert!(w.home(f).await.contains(&st));
    assert!(w.home(g).await.contains(&rb));
    let before = w.status(st).await;
    assert_eq!(
        (
            before.replies_count,
            before.quotes_count,
            before.reblogs_count,
            before.favourites_count
        ),
        (1, 1, 1, 1)
    );

    let deleted = s.delete_status(st).await.unwrap().expect("deleted");
    assert_eq!(deleted.id, st);
    assert_eq!(deleted.account_id, a);
    assert!(s.status(st).await.unwrap().is_none());
    assert!(s.status(rb).await.unwrap().is_none(), "reblogs go with it");
    let mine: HashSet<Id> = [sent.id, waiting.id, other.id].into();
    let items = by_id(only_items(s.outbox_items(None).await.unwrap(), &mine));
    let seen: Vec<(&str, OutboxState)> = items.iter().map(|i| (i.body.as_str(), i.state)).collect();
    assert_eq!(
        seen,
        [
            ("", OutboxState::Delivered),
            ("", OutboxState::Expired),
            ("another post's", OutboxState::Pending)
        ],
        "the activities that carried the post are emptied; a waiting one is given up"
    );
    assert_eq!(
        w.status(reply).await.in_reply_to_id,
        Some(st),
        "replies stay and keep their parent ID"
    );
    assert_eq!(
        w.status(quote).await.quote_of_id,
        Some(st),
        "quotes stay and keep the quoted ID"
    );

    assert_eq!(w.acct(a).await.statuses_count, 0);
    assert_eq!(w.acct(a).await.last_status_at, None);
    assert_eq!(
        w.acct(d).await.statuses_count,
        0,
        "the reblogger loses the reblog"
    );
    assert!(!w.home(a).await.contains(&st));
    assert!(!w.home(f).await.contains(&st));
    assert!(!w.home(g).await.contains(&rb));
    assert!(!w.home(d).await.contains(&rb));
    assert!(s.favourites_of(e, page(40)).await.unwrap().is_empty());
    assert!(s.bookmarks_of(e, page(40)).await.unwrap().is_empty());
    assert!(s.favourited_by(st, page(40)).await.unwrap().is_empty());
    assert!(s.reblogged_by(st, page(40)).await.unwrap().is_empty());
    assert_eq!(s.find_reblog(d, st).await.unwrap(), None);
    let notes = s
        .notifications(a, &NotificationFilter::default(), page(40))
        .await
        .unwrap();
    assert_eq!(
        notes.iter().map(|n| n.kind).collect::<Vec<_>>(),
        vec![NotificationType::Follow]
    );
    assert!(s
        .notifications(d, &NotificationFilter::default(), page(40))
        .await
        .unwrap()
        .is_empty());
    assert!(s.mentions(&[st]).await.unwrap().is_empty());
    assert!(s.tags(&[st]).await.unwrap().is_empty());
    assert!(s.history(st).await.unwrap().is_empty());
    assert!(s.views(&[st], 100).await.unwrap().is_empty());
    let tag = format!("t{}", w.tag);
    assert!(s
        .tag_timeline(&tag, &RegionScope::All, page(40))
        .await
        .unwrap()
        .is_empty());
    assert!(s
        .viewer_flags(e, &[st])
        .await
        .unwrap()
        .iter()
        .all(|(_, f)| *f == ViewerFlags::default()));

    assert!(s.delete_status(st).await.unwrap().is_none(), "already gone");
    assert!(s.delete_status(w.id()).await.unwrap().is_none());
    // The orphaned reply can still be deleted.
    assert!(s.delete_status(reply).await.unwrap().is_some());
    assert_eq!(w.acct(b).await.statuses_count, 0);
}

pub async fn delete_status_counters(s: &dyn Store) {
    let w = W::new(s);
    let a = w.account("a").await;
    let b = w.account("b").await;
    let p = w.post(a, Visibility::Public).await;
    let older = w.post(b, Visibility::Public).await;
    let reply = w.reply(b, p, Visibility::Public).await;
    let quote = w.quote(b, p).await;
    let rb = w.reblog(b, p).await;
    assert_eq!(w.acct(b).await.statuses_count, 4);

    s.delete_status(reply).await.unwrap().unwrap();
    assert_eq!(w.status(p).await.replies_count, 0);
    s.delete_status(quote).await.unwrap().unwrap();
    assert_eq!(w.status(p).await.quotes_count, 0);
    s.delete_status(rb).await.unwrap().unwrap();
    assert_eq!(w.status(p).await.reblogs_count, 0);
    let acct = w.acct(b).await;
    assert_eq!(acct.statuses_count, 1);
    let older_at = w.status(older).await.created_at;
    assert_eq!(
        acct.last_status_at.map(|t| t.as_millisecond()),
        Some(older_at.as_millisecond())
    );

    // Unfavourite keeps the count exact too.
    s.favourite(w.id(), b, p, None).await.unwrap();
    assert_eq!(w.status(p).await.favourites_count, 1);
    s.unfavourite(b, p).await.unwrap();
    assert_eq!(w.status(p).await.favourites_count, 0);
}

pub async fn edit_and_history(s: &dyn Store) {
    let w = W::new(s);
    let a = w.account("a").await;
    let m1 = w.account("m1").await;
    let m2 = w.account("m2").await;
    let mut d = w.draft(a, Visibility::Public);
    d.mentions = vec![m1];
    d.tags = vec!["old".into()];
    let id = w.create(d.clone()).await;
    assert!(s.history(id).await.unwrap().is_empty(), "never edited");

    let t1 = Timestamp::from_millisecond(d.created_at.as_millisecond() + 1_000).unwrap();
    let edited = s
        .edit_status(
            id,
            &StatusEdit {
                text: "second".into(),
                content_html: "<p>second</p>".into(),
                spoiler_text: "cw".into(),
                sensitive: true,
                language: Some("de".into()),
                mentions: vec![m2],
                tags: vec!["new".into()],
                edited_at: t1,
            },
        )
        .await
        .unwrap();
    assert_eq!(edited.text, "second");
    assert_eq!(edited.content_html, "<p>second</p>");
    assert_eq!(edited.spoiler_text, "cw");
    assert!(edited.sensitive);
    assert_eq!(edited.language.as_deref(), Some("de"));
    assert_eq!(
        edited.edited_at.map(|t| t.as_millisecond()),
        Some(t1.as_millisecond())
    );
    assert_eq!(
        edited.created_at.as_millisecond(),
        d.created_at.as_millisecond()
    );
    assert_eq!(w.status(id).await, edited);
    assert_eq!(s.mentions(&[id]).await.unwrap(), vec![(id, m2)]);
    assert_eq!(s.tags(&[id]).await.unwrap(), vec![(id, "new".to_string())]);

    let h = s.history(id).await.unwrap();
    assert_eq!(h.len(), 2);
    assert_eq!(h[0].content_html, d.content_html);
    assert_eq!(
        h[0].created_at.as_millisecond(),
        d.created_at.as_millisecond()
    );
    assert!(!h[0].sensitive);
    assert_eq!(h[1].content_html, "<p>second</p>");
    assert_eq!(h[1].spoiler_text, "cw");
    assert_eq!(h[1].created_at.as_millisecond(), t1.as_millisecond());
    assert!(h.iter().all(|r| r.status_id == id));

    let t2 = Timestamp::from_millisecond(t1.as_millisecond() + 1_000).unwrap();
    s.edit_status(
        id,
        &StatusEdit {
            text: "third".into(),
            content_html: "<p>third</p>".into(),
            spoiler_text: String::new(),
            sensitive: false,
            language: None,
            mentions: vec![],
            tags: vec![],
            edited_at: t2,
        },
    )
    .await
    .unwrap();
    let h = s.history(id).await.unwrap();
    let texts: Vec<&str> = h.iter().map(|r| r.content_html.as_str()).collect();
    assert_eq!(
        texts,
        vec![d.content_html.as_str(), "<p>second</p>", "<p>third</p>"]
    );
    assert!(s.mentions(&[id]).await.unwrap().is_empty());
    assert!(s.tags(&[id]).await.unwrap().is_empty());

    let missing = s
        .edit_status(
            w.id(),
            &StatusEdit {
                text: String::new(),
                content_html: String::new(),
                spoiler_text: String::new(),
                sensitive: false,
                language: None,
                mentions: vec![],
                tags: vec![],
                edited_at: t2,
            },
        )
        .await;
    assert_missing(missing, "status");
}

pub async fn thread_ancestors_descendants(s: &dyn Store) {
    let w = W::new(s);
    let a = w.account("a").await;
    let b = w.account("b").await;
    let root = w.post(a, Visibility::Public).await;
    let r1 = w.reply(b, root, Visibility::Public).await;
    let r1a = w.reply(a, r1, Visibility::Public).await;
    let r1a1 = w.reply(b, r1a, Visibility::Public).await;
    let r1b = w.reply(a, r1, Visibility::Unlisted).await;
    let r2 = w.reply(b, root, Visibility::Private).await;

    assert_eq!(s.ancestors(r1a1, 40).await.unwrap(), vec![root, r1, r1a]);
    assert_eq!(
        s.ancestors(r1a1, 2).await.unwrap(),
        vec![r1, r1a],
        "the nearest ones"
    );
    assert!(s.ancestors(root, 40).await.unwrap().is_empty());
    assert_eq!(
        s.descendants(root, 100).await.unwrap(),
        vec![r1, r1a, r1a1, r1b, r2]
    );
    assert_eq!(s.descendants(root, 3).await.unwrap(), vec![r1, r1a, r1a1]);
    assert_eq!(s.descendants(r1, 100).await.unwrap(), vec![r1a, r1a1, r1b]);
    assert!(s.descendants(r1a1, 100).await.unwrap().is_empty());
}

pub async fn favourites_and_bookmarks(s: &dyn Store) {
    let w = W::new(s);
    let a = w.account("a").await;
    let v = w.account("v").await;
    let st: Vec<Id> = vec![
        w.post(a, Visibility::Public).await,
        w.post(a, Visibility::Public).await,
        w.post(a, Visibility::Public).await,
    ];
    // Favourite in the order 0, 2, 1: listings follow the favourite, not the status.
    let fav_ids = [w.id(), w.id(), w.id()];
    assert!(s
        .favourite(fav_ids[0], v, st[0], None)
        .await
        .unwrap()
        .is_new());
    assert!(s
        .favourite(fav_ids[1], v, st[2], None)
        .await
        .unwrap()
        .is_new());
    assert!(s
        .favourite(fav_ids[2], v, st[1], None)
        .await
        .unwrap()
        .is_new());
    assert!(
        !s.favourite(w.id(), v, st[0], None).await.unwrap().is_new(),
        "already favourited"
    );
    assert_eq!(w.status(st[0]).await.favourites_count, 1);

    // A new like writes the author's notification with it; a repeated one writes none.
    let liker = w.account("liker").await;
    let note = w.notification(a, NotificationType::Favourite, liker, Some(st[0]));
    assert!(s
        .favourite(w.id(), liker, st[0], Some(&note))
        .await
        .unwrap()
        .is_new());
    let again = w.notification(a, NotificationType::Favourite, liker, Some(st[0]));
    assert!(!s
        .favourite(w.id(), liker, st[0], Some(&again))
        .await
        .unwrap()
        .is_new());
    let notes = s
        .notifications(a, &NotificationFilter::default(), page(40))
        .await
        .unwrap();
    assert_eq!(
        notes.iter().map(|n| n.id).collect::<Vec<_>>(),
        vec![note.id]
    );
    assert!(s.unfavourite(liker, st[0]).await.unwrap());
    assert_eq!(w.status(st[0]).await.favourites_count, 1);

    let favs = s.favourites_of(v, page(40)).await.unwrap();
    assert_eq!(ids_of(&favs), vec![st[1], st[2], st[0]]);
    assert_eq!(
        favs.iter().map(|c| c.cursor).collect::<Vec<_>>(),
        vec![fav_ids[2], fav_ids[1], fav_ids[0]]
    );
    let first = s.favourites_of(v, page(2)).await.unwrap();
    assert_eq!(ids_of(&first), vec![st[1], st[2]]);
    let next = s
        .favourites_of(
            v,
            Page {
                max_id: Some(first[1].cursor),
                ..page(2)
            },
        )
        .await
        .unwrap();
    assert_eq!(ids_of(&next), vec![st[0]]);
    let prev = s
        .favourites_of(
            v,
            Page {
                min_id: Some(fav_ids[0]),
                ..page(1)
            },
        )
        .await
        .unwrap();
    assert_eq!(ids_of(&prev), vec![st[2]]);

    assert!(s.unfavourite(v, st[0]).await.unwrap());
    assert!(!s.unfavourite(v, st[0]).await.unwrap());
    assert_eq!(w.status(st[0]).await.favourites_count, 0);
    assert_eq!(
        ids_of(&s.favourites_of(v, page(40)).await.unwrap()),
        vec![st[1], st[2]]
    );

    let bm = [w.id(), w.id()];
    assert!(s.bookmark(bm[0], v, st[2]).await.unwrap());
    assert!(s.bookmark(bm[1], v, st[0]).await.unwrap());
    assert!(!s.bookmark(w.id(), v, st[2]).await.unwrap());
    let bms = s.bookmarks_of(v, page(40)).await.unwrap();
    assert_eq!(
        bms,
        vec![
            Cursored {
                cursor: bm[1],
                item: st[0]
            },
            Cursored {
                cursor: bm[0],
                item: st[2]
            }
        ]
    );
    assert!(s.unbookmark(v, st[2]).await.unwrap());
    assert!(!s.unbookmark(v, st[2]).await.unwrap());
    assert_eq!(
        ids_of(&s.bookmarks_of(v, page(40)).await.unwrap()),
        vec![st[0]]
    );

    w.reblog(v, st[0]).await;
    let mut flags = s.viewer_flags(v, &st).await.unwrap();
    flags.sort_by_key(|f| f.0);
    assert_eq!(
        flags,
        vec![
            (
                st[0],
                ViewerFlags {
                    favourited: false,
                    reblogged: true,
                    bookmarked: true,
                    muted: false,
                }
            ),
            (
                st[1],
                ViewerFlags {
                    favourited: true,
                    reblogged: false,
                    bookmarked: false,
                    muted: false,
                }
            ),
            (
                st[2],
                ViewerFlags {
                    favourited: true,
                    reblogged: false,
                    bookmarked: false,
                    muted: false,
                }
            ),
        ]
    );
    let others = s.viewer_flags(a, &st).await.unwrap();
    assert!(others.iter().all(|(_, f)| *f == ViewerFlags::default()));
}

pub async fn reblogged_by_favourited_by_sharers(s: &dyn Store) {
    let w = W::new(s);
    let a = w.account("a").await;
    let r: Vec<Id> = vec![
        w.account("r1").await,
        w.account("r2").await,
        w.account("r3").await,
    ];
    let q = w.account("q").await;
    let p = w.post(a, Visibility::Public).await;
    let mut rbs = Vec::new();
    for &x in &r {
        rbs.push(w.reblog(x, p).await);
    }
    let by = s.reblogged_by(p, page(40)).await.unwrap();
    assert_eq!(ids_of(&by), vec![r[2], r[1], r[0]]);
    assert_eq!(
        by.iter().map(|c| c.cursor).collect::<Vec<_>>(),
        vec![rbs[2], rbs[1], rbs[0]]
    );
    let next = s
        .reblogged_by(
            p,
            Page {
                max_id: Some(rbs[1]),
                ..page(40)
            },
        )
        .await
        .unwrap();
    assert_eq!(ids_of(&next), vec![r[0]]);

    let mut favs = Vec::new();
    for &x in [r[1], q, r[0]].iter() {
        let fid = w.id();
        s.favourite(fid, x, p, None).await.unwrap();
        favs.push(fid);
    }
    let by = s.favourited_by(p, page(2)).await.unwrap();
    assert_eq!(
        by,
        vec![
            Cursored {
                cursor: favs[2],
                item: r[0]
            },
            Cursored {
                cursor: favs[1],
                item: q
            }
        ]
    );
    let next = s
        .favourited_by(
            p,
            Page {
                max_id: Some(favs[1]),
                ..page(2)
            },
        )
        .await
        .unwrap();
    assert_eq!(
        next,
        vec![Cursored {
            cursor: favs[0],
            item: r[1]
        }]
    );

    w.quote(q, p).await;
    assert_eq!(
        set(&s.sharers(p).await.unwrap()),
        set(&[r[0], r[1], r[2], q])
    );
    assert!(s.sharers(rbs[0]).await.unwrap().is_empty());
}

// ---------------------------------------------------------------------------------------
// Follows

pub async fn follow_lifecycle(s: &dyn Store) {
    let w = W::new(s);
    let a = w.account("a").await;
    let b = w.account("b").await;
    let fid = w.id();
    assert_eq!(
        s.follow(fid, a, b, FollowState::Accepted, true, true)
            .await
            .unwrap(),
        FollowState::Accepted
    );
    assert_eq!(
        (
            w.acct(a).await.following_count,
            w.acct(a).await.followers_count
        ),
        (1, 0)
    );
    assert_eq!(
        (
            w.acct(b).await.followers_count,
            w.acct(b).await.following_count
        ),
        (1, 0)
    );
    assert_eq!(
        s.followers(b, page(40)).await.unwrap(),
        vec![Cursored {
            cursor: fid,
            item: a
        }]
    );
    assert_eq!(
        s.following(a, page(40)).await.unwrap(),
        vec![Cursored {
            cursor: fid,
            item: b
        }]
    );
    assert!(s.followers(a, page(40)).await.unwrap().is_empty());
    assert_eq!(s.notifying_followers(b).await.unwrap(), vec![a]);
    let rel = s.relationships(a, &[b]).await.unwrap()[0];
    assert!(
        rel.following && rel.notifying && rel.showing_reblogs && !rel.followed_by && !rel.requested
    );

    // Following again only updates the options.
    assert_eq!(
        s.follow(w.id(), a, b, FollowState::Accepted, false, false)
            .await
            .unwrap(),
        FollowState::Accepted
    );
    assert_eq!(w.acct(b).await.followers_count, 1);
    assert_eq!(
        s.followers(b, page(40)).await.unwrap(),
        vec![Cursored {
            cursor: fid,
            item: a
        }]
    );
    assert!(s.notifying_followers(b).await.unwrap().is_empty());
    let rel = s.relationships(a, &[b]).await.unwrap()[0];
    assert!(rel.following && !rel.notifying && !rel.showing_reblogs);

    assert!(s.unfollow(a, b).await.unwrap());
    assert!(!s.unfollow(a, b).await.unwrap());
    assert_eq!(w.acct(a).await.following_count, 0);
    assert_eq!(w.acct(b).await.followers_count, 0);
    assert!(s.followers(b, page(40)).await.unwrap().is_empty());
    assert_eq!(
        s.relationships(a, &[b]).await.unwrap()[0],
        Relationship::default()
    );

    // Paging followers by follow ID.
    let mut fs = Vec::new();
    for i in 0..5 {
        let x = w.account(&format!("x{i}")).await;
        let id = w.id();
        s.follow(id, x, b, FollowState::Accepted, false, true)
            .await
            .unwrap();
        fs.push(Cursored {
            cursor: id,
            item: x,
        });
    }
    assert_eq!(w.acct(b).await.followers_count, 5);
    let p1 = s.followers(b, page(2)).await.unwrap();
    assert_eq!(p1, vec![fs[4], fs[3]]);
    let p2 = s
        .followers(
            b,
            Page {
                max_id: Some(p1[1].cursor),
                ..page(2)
            },
        )
        .await
        .unwrap();
    assert_eq!(p2, vec![fs[2], fs[1]]);
    let prev = s
        .followers(
            b,
            Page {
                min_id: Some(fs[0].cursor),
                ..page(2)
            },
        )
        .await
        .unwrap();
    assert_eq!(prev, vec![fs[2], fs[1]]);
}

pub async fn follow_requests(s: &dyn Store) {
    let w = W::new(s);
    let l = w.account("locked").await;
    let a = w.account("a").await;
    let b = w.account("b").await;
    let c = w.account("c").await;
    let lp = w.post(l, Visibility::Private).await;

    let ra = w.id();
    assert_eq!(
        s.follow(ra, a, l, FollowState::Requested, false, true)
            .await
            .unwrap(),
        FollowState::Requested
    );
    assert_eq!(w.acct(l).await.followers_count, 0);
    assert_eq!(w.acct(a).await.following_count, 0);
    assert!(w.home(a).await.is_empty());
    // Asking again keeps the request (the state does not change by following again).
    assert_eq!(
        s.follow(w.id(), a, l, FollowState::Accepted, false, true)
            .await
            .unwrap(),
        FollowState::Requested
    );
    let rb = w.id();
    s.follow(rb, b, l, FollowState::Requested, false, true)
        .await
        .unwrap();
    s.follow(w.id(), c, l, FollowState::Requested, false, true)
        .await
        .unwrap();
    let reqs = s.follow_requests(l, page(40)).await.unwrap();
    assert_eq!(ids_of(&reqs), vec![c, b, a]);
    assert_eq!(reqs[2].cursor, ra);
    assert!(s.followers(l, page(40)).await.unwrap().is_empty());
    let rel = s.relationships(a, &[l]).await.unwrap()[0];
    assert!(rel.requested && !rel.following);
    let rel = s.relationships(l, &[a]).await.unwrap()[0];
    assert!(rel.requested_by && !rel.followed_by);

    assert!(s.authorize_request(l, a).await.unwrap());
    assert!(
        !s.authorize_request(l, a).await.unwrap(),
        "no longer pending"
    );
    assert_eq!(w.acct(l).await.followers_count, 1);
    assert_eq!(w.acct(a).await.following_count, 1);
    assert_eq!(w.home(a).await, vec![lp], "backfilled on authorization");
    let rel = s.relationships(a, &[l]).await.unwrap()[0];
    assert!(rel.following && !rel.requested);
    assert_eq!(ids_of(&s.followers(l, page(40)).await.unwrap()), vec![a]);

    assert!(s.reject_request(l, b).await.unwrap());
    assert!(!s.reject_request(l, b).await.unwrap());
    assert!(
        !s.reject_request(l, a).await.unwrap(),
        "accepted follows are not requests"
    );
    assert_eq!(
        s.relationships(b, &[l]).await.unwrap()[0],
        Relationship::default()
    );
    assert!(!s.authorize_request(l, b).await.unwrap());

    // Withdrawing a request.
    assert!(s.unfollow(c, l).await.unwrap());
    assert!(s.follow_requests(l, page(40)).await.unwrap().is_empty());
    assert_eq!(w.acct(l).await.followers_count, 1);
    assert_eq!(w.acct(c).await.following_count, 0);
}

pub async fn follow_backfill_and_cleanup(s: &dyn Store) {
    let w = W::new(s);
    let a = w.account("a").await;
    let f = w.account("f").await;
    let x = w.account("x").await;
    let z = w.account("z").await;
    let xp = w.post(x, Visibility::Public).await;
    let zp = w.post(z, Visibility::Public).await;
    let own = w.post(f, Visibility::Public).await;
    let fp = w.post(f, Visibility::Public).await;

    let p1 = w.post(a, Visibility::Public).await;
    let p2 = w.post(a, Visibility::Unlisted).await;
    let p3 = w.post(a, Visibility::Private).await;
    let d1 = w.post(a, Visibility::Direct).await;
    let rb = w.reblog(a, xp).await;
    let rb_own = w.reblog(a, own).await; // a reblog of the follower's own post
    let reply_z = w.reply(a, zp, Visibility::Public).await;
    let reply_f = w.reply(a, fp, Visibility::Public).await;
    let mut dm = w.draft(a, Visibility::Direct);
    dm.mentions = vec![f];
    let d2 = w.create(dm).await;
    assert!(
        w.home(f).await.contains(&d2),
        "direct statuses reach mentioned accounts"
    );

    w.follow(f, a).await;
    let home = set(&w.home(f).await);
    for id in [p1, p2, p3, rb, reply_f, d2, own, fp] {
        assert!(home.contains(&id), "backfilled {id}");
    }
    assert!(!home.contains(&d1), "direct statuses are not backfilled");
    assert!(
        !home.contains(&reply_z),
        "replies to accounts the follower does not follow"
    );
    assert!(
        !home.contains(&rb_own),
        "reblogs of the follower's own posts"
    );

    // Unfollowing takes the target's posts and reblogs away; the follower's own stay.
    assert!(s.unfollow(f, a).await.unwrap());
    let home = set(&w.home(f).await);
    for id in [p1, p2, p3, rb, reply_f] {
        assert!(!home.contains(&id), "removed {id}");
    }
    assert!(home.contains(&own) && home.contains(&fp));

    // Hiding reblogs also hides them from the backfill.
    let h = w.account("h").await;
    s.follow(w.id(), h, a, FollowState::Accepted, false, false)
        .await
        .unwrap();
    let home = set(&w.home(h).await);
    assert!(home.contains(&p1) && !home.contains(&rb));

    // The backfill takes the latest 40.
    let busy = w.account("busy").await;
    let mut posts = Vec::new();
    for _ in 0..45 {
        posts.push(w.post(busy, Visibility::Public).await);
    }
    let g = w.account("g").await;
    w.follow(g, busy).await;
    let home = s.home_timeline(g, page(80)).await.unwrap();
    let newest: Vec<Id> = posts.iter().rev().take(40).copied().collect();
    assert_eq!(home, newest);
}

pub async fn relationships_matrix(s: &dyn Store) {
    let w = W::new(s);
    let v = w.account("viewer").await;
    let mutual = w.account("mutual").await;
    let fan = w.account("fan").await;
    let idol = w.account("idol").await;
    let locked = w.account("locked").await;
    let asker = w.account("asker").await;
    let nobody = w.account("nobody").await;
    w.follow(v, mutual).await;
    w.follow(mutual, v).await;
    w.follow(fan, v).await;
    s.follow(w.id(), v, idol, FollowState::Accepted, true, false)
        .await
        .unwrap();
    s.follow(w.id(), v, locked, FollowState::Requested, false, true)
        .await
        .unwrap();
    s.follow(w.id(), asker, v, FollowState::Requested, false, true)
        .await
        .unwrap();

    let rels = s
        .relationships(v, &[nobody, mutual, fan, idol, locked, asker, mutual])
        .await
        .unwrap();
    assert_eq!(
        rels.len(),
        7,
        "one per target, in order, duplicates included"
    );
    assert_eq!(rels[0], Relationship::default());
    assert!(rels[1].following && rels[1].followed_by && rels[1].showing_reblogs);
    assert!(!rels[2].following && rels[2].followed_by);
    assert!(
        rels[3].following && rels[3].notifying && !rels[3].showing_reblogs && !rels[3].followed_by
    );
    assert!(rels[4].requested && !rels[4].following);
    assert!(rels[5].requested_by && !rels[5].followed_by && !rels[5].following);
    assert_eq!(rels[6], rels[1]);
    assert!(s.relationships(v, &[]).await.unwrap().is_empty());
}

// ---------------------------------------------------------------------------------------
// Notifications, markers, views, stats

pub async fn notifications_behaviour(s: &dyn Store) {
    use NotificationType as T;
    let w = W::new(s);
    let a = w.account("a").await;
    let b = w.account("b").await;
    let c = w.account("c").await;
    let st = w.post(a, Visibility::Public).await;
    let n1 = w.notification(a, T::Favourite, b, Some(st));
    let n1_dup = w.notification(a, T::Favourite, b, Some(st));
    let n3 = w.notification(a, T::Follow, c, None);
    let n3_dup = w.notification(a, T::Follow, c, None);
    let n5 = w.notification(a, T::Mention, c, Some(st));
    let n6 = w.notification(a, T::Reblog, b, Some(st));
    let for_b = w.notification(b, T::Follow, a, None);
    s.create_notifications(&[n1.clone(), n1_dup.clone(), n3.clone()])
        .await
        .unwrap();
    s.create_notifications(&[n3_dup.clone(), n5.clone(), n6.clone(), for_b.clone()])
        .await
        .unwrap();
    s.create_notifications(&[]).await.unwrap();

    let all = |f: NotificationFilter, p: Page| async move {
        s.notifications(a, &f, p)
            .await
            .unwrap()
            .into_iter()
            .map(|n| n.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        all(NotificationFilter::default(), page(40)).await,
        vec![n6.id, n5.id, n3.id, n1.id]
    );
    let got = s.notification(a, n1.id).await.unwrap().unwrap();
    assert_eq!(
        got,
        Notification {
            created_at: got.created_at,
            ..n1.clone()
        }
    );
    assert_eq!(
        got.created_at.as_millisecond(),
        n1.created_at.as_millisecond()
    );
    assert!(
        s.notification(b, n1.id).await.unwrap().is_none(),
        "only the owner's"
    );
    assert!(
        s.notification(a, n1_dup.id).await.unwrap().is_none(),
        "duplicates skipped"
    );

    assert_eq!(
        all(
            NotificationFilter {
                types: vec![T::Follow],
                exclude_types: vec![]
            },
            page(40)
        )
        .await,
        vec![n3.id]
    );
    assert_eq!(
        all(
            NotificationFilter {
                types: vec![],
                exclude_types: vec![T::Favourite, T::Follow]
            },
            page(40)
        )
        .await,
        vec![n6.id, n5.id]
    );
    assert_eq!(
        all(
            NotificationFilter {
                types: vec![T::Mention, T::Favourite],
                exclude_types: vec![T::Favourite]
            },
            page(40)
        )
        .await,
        vec![n5.id]
    );
    assert_eq!(
        all(NotificationFilter::default(), page(2)).await,
        vec![n6.id, n5.id]
    );
    assert_eq!(
        all(
            NotificationFilter::default(),
            Page {
                max_id: Some(n5.id),
                ..page(2)
            }
        )
        .await,
        vec![n3.id, n1.id]
    );
    assert_eq!(
        all(
            NotificationFilter::default(),
            Page {
                min_id: Some(n1.id),
                ..page(2)
            }
        )
        .await,
        vec![n5.id, n3.id]
    );

    assert_eq!(s.count_notifications(a, None).await.unwrap(), 4);
    assert_eq!(s.count_notifications(a, Some(n3.id)).await.unwrap(), 2);
    assert_eq!(s.count_notifications(b, None).await.unwrap(), 1);

    assert!(!s.dismiss_notification(b, n1.id).await.unwrap(), "not b's");
    assert!(s.dismiss_notification(a, n1.id).await.unwrap());
    assert!(!s.dismiss_notification(a, n1.id).await.unwrap());
    s.remove_notifications(a, c, T::Follow, None).await.unwrap();
    assert_eq!(
        all(NotificationFilter::default(), page(40)).await,
        vec![n6.id, n5.id]
    );

    // About a status deleted before the notification was written: skipped, not an error.
    let gone = w.post(a, Visibility::Public).await;
    s.delete_status(gone).await.unwrap();
    s.create_notifications(&[w.notification(a, T::Favourite, c, Some(gone))])
        .await
        .unwrap();
    assert_eq!(s.count_notifications(a, None).await.unwrap(), 2);
    // And deleting the status removes its notifications.
    let st2 = w.post(a, Visibility::Public).await;
    let n7 = w.notification(a, T::Favourite, c, Some(st2));
    s.create_notifications(std::slice::from_ref(&n7))
        .await
        .unwrap();
    assert!(s.notification(a, n7.id).await.unwrap().is_some());
    s.delete_status(st2).await.unwrap();
    assert!(s.notification(a, n7.id).await.unwrap().is_none());

    s.clear_notifications(a).await.unwrap();
    assert_eq!(s.count_notifications(a, None).await.unwrap(), 0);
    assert_eq!(
        s.count_notifications(b, None).await.unwrap(),
        1,
        "others' untouched"
    );
}

pub async fn markers(s: &dyn Store) {
    let w = W::new(s);
    let a = w.account("a").await;
    let b = w.account("b").await;
    assert!(s.markers(a).await.unwrap().is_empty());
    let (id1, id2, id3) = (w.id(), w.id(), w.id());
    let t = Timestamp::now();
    let m1 = s.set_marker(a, "home", id1, t).await.unwrap();
    assert_eq!((m1.timeline.as_str(), m1.last_read_id), ("home", id1));
    assert_eq!(m1.updated_at.as_millisecond(), t.as_millisecond());
    let t2 = Timestamp::from_millisecond(t.as_millisecond() + 5).unwrap();
    let m2 = s.set_marker(a, "home", id2, t2).await.unwrap();
    assert_eq!(m2.last_read_id, id2);
    assert_eq!(m2.version, m1.version + 1);
    assert_eq!(m2.updated_at.as_millisecond(), t2.as_millisecond());
    let n1 = s.set_marker(a, "notifications", id3, t).await.unwrap();
    assert_eq!(n1.version, m1.version, "versions are per timeline");

    let mut got = s.markers(a).await.unwrap();
    got.sort_by(|x, y| x.timeline.cmp(&y.timeline));
    assert_eq!(got.len(), 2);
    assert_eq!(
        (
            got[0].timeline.as_str(),
            got[0].last_read_id,
            got[0].version
        ),
        ("home", id2, m2.version)
    );
    assert_eq!(
        (got[1].timeline.as_str(), got[1].last_read_id),
        ("notifications", id3)
    );
    assert!(s.markers(b).await.unwrap().is_empty());
}

pub async fn views_counting(s: &dyn Store) {
    let w = W::new(s);
    let a = w.account("a").await;
    let x = w.post(a, Visibility::Public).await;
    let y = w.post(a, Visibility::Public).await;
    let z = w.post(a, Visibility::Public).await;
    let never = w.post(a, Visibility::Public).await;
    let get = |ids: Vec<Id>, day: i32| async move {
        let mut v = s.views(&ids, day).await.unwrap();
        v.sort_by_key(|e| e.0);
        v
    };
    let vc = |total, today| ViewCount { total, today };

    s.add_views(&[(x, 100, 3), (x, 100, 2), (y, 100, 1)])
        .await
        .unwrap();
    assert_eq!(
        get(vec![x, y, never], 100).await,
        vec![(x, vc(5, 5)), (y, vc(1, 1))]
    );
    assert_eq!(
        get(vec![x], 101).await,
        vec![(x, vc(5, 0))],
        "another day: no views today"
    );
    assert_eq!(get(vec![x], 99).await, vec![(x, vc(5, 0))]);

    // A new day restarts the day count.
    s.add_views(&[(x, 101, 4)]).await.unwrap();
    assert_eq!(get(vec![x], 101).await, vec![(x, vc(9, 4))]);
    assert_eq!(get(vec![x], 100).await, vec![(x, vc(9, 0))]);
    // A late batch for an older day only grows the total.
    s.add_views(&[(x, 100, 7)]).await.unwrap();
    assert_eq!(get(vec![x], 101).await, vec![(x, vc(16, 4))]);

    // Views of deleted statuses are dropped without failing the batch.
    s.delete_status(z).await.unwrap();
    s.add_views(&[(z, 101, 1), (y, 101, 2)]).await.unwrap();
    assert_eq!(get(vec![y, z], 101).await, vec![(y, vc(3, 2))]);
    s.add_views(&[(w.id(), 101, 1)]).await.unwrap();
    s.add_views(&[]).await.unwrap();
    // And deleting a status deletes its counts.
    s.delete_status(x).await.unwrap();
    assert!(get(vec![x], 101).await.is_empty());
}

pub async fn instance_stats(s: &dyn Store) {
    let w = W::new(s);
    let now = Timestamp::now();
    let since = Timestamp::from_millisecond(now.as_millisecond() - 30 * 86_400_000).unwrap();
    let before = s.instance_stats(since).await.unwrap();

    let active = w.account("active").await;
    let dormant = w.account("dormant").await;
    let _silent = w.account("silent").await;
    let remote = w.bare_account("remote", &w.region()).await;
    w.post(active, Visibility::Public).await;
    w.post(active, Visibility::Direct).await;
    let mut old = w.draft(dormant, Visibility::Public);
    old.created_at = Timestamp::from_millisecond(now.as_millisecond() - 60 * 86_400_000).unwrap();
    let old = w.create(old).await;
    w.post(remote, Visibility::Public).await;
    w.reblog(active, old).await;

    let after = s.instance_stats(since).await.unwrap();
    assert_eq!(
        after.user_count - before.user_count,
        3,
        "local sign-ups only"
    );
    assert_eq!(
        after.status_count - before.status_count,
        4,
        "reblogs are not counted"
    );
    assert_eq!(
        after.active_month - before.active_month,
        1,
        "users who posted since"
    );
}

/// Not a timing assertion: prints how long creating one status with 20,000 followers takes.
pub async fn fanout_20k_followers(s: &dyn Store) {
    const N: usize = 20_000;
    let w = W::new(s);
    let star = w.account("star").await;
    let started = std::time::Instant::now();
    let mut followers = Vec::with_capacity(N);
    for i in 0..N {
        let f = w.account(&format!("f{i}")).await;
        s.follow(w.id(), f, star, FollowState::Accepted, false, true)
            .await
            .unwrap();
        followers.push(f);
    }
    eprintln!(
        "fanout_20k_followers: set up {N} followers in {:?}",
        started.elapsed()
    );
    // A foreign follower (no user row here) has no home timeline in this region.
    let foreign = w.bare_account("abroad", "elsewhere").await;
    s.follow(w.id(), foreign, star, FollowState::Accepted, false, true)
        .await
        .unwrap();
    assert_eq!(w.acct(star).await.followers_count, N as i64 + 1);

    let started = std::time::Instant::now();
    let p = w.post(star, Visibility::Public).await;
    assert!(w.home(foreign).await.is_empty());
    let elapsed = started.elapsed();
    eprintln!("fanout_20k_followers: create_status with fan-out to {N} followers took {elapsed:?}");

    for &f in followers.iter().step_by(997).chain(followers.last()) {
        assert_eq!(w.home(f).await, vec![p]);
    }
    let started = std::time::Instant::now();
    s.delete_status(p).await.unwrap();
    eprintln!(
        "fanout_20k_followers: delete_status with {N} timeline entries took {:?}",
        started.elapsed()
    );
    assert!(w.home(followers[N / 2]).await.is_empty());
}

pub async fn notifications_removed_by_status(s: &dyn Store) {
    use NotificationType as T;
    let w = W::new(s);
    let a = w.account("a").await;
    let b = w.account("b").await;
    let one = w.post(a, Visibility::Public).await;
    let two = w.post(a, Visibility::Public).await;
    s.create_notifications(&[
        w.notification(a, T::Favourite, b, Some(one)),
        w.notification(a, T::Favourite, b, Some(two)),
        w.notification(a, T::Reblog, b, Some(one)),
    ])
    .await
    .unwrap();
    s.remove_notifications(a, b, T::Favourite, Some(one))
        .await
        .unwrap();
    let left: Vec<(T, Option<Id>)> = s
        .notifications(
            a,
            &NotificationFilter::default(),
            Page {
                limit: 40,
                ..Page::default()
            },
        )
        .await
        .unwrap()
        .into_iter()
        .map(|n| (n.kind, n.status_id))
        .collect();
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(left.contains(&(T::Favourite, Some(two))));
    assert!(left.contains(&(T::Reblog, Some(one))));
}

pub async fn follow_request_count(s: &dyn Store) {
    let w = W::new(s);
    let a = w.account("a").await;
    assert_eq!(s.count_follow_requests(a).await.unwrap(), 0);
    for name in ["b", "c", "d"] {
        let f = w.account(name).await;
        s.follow(w.id(), f, a, FollowState::Requested, false, true)
            .await
            .unwrap();
    }
    let e = w.account("e").await;
    w.follow(e, a).await;
    assert_eq!(s.count_follow_requests(a).await.unwrap(), 3);
}

pub async fn status_bundle_contents(s: &dyn Store) {
    let w = W::new(s);
    let a = w.account("a").await;
    let b = w.account("b").await;
    let c = w.account("c").await;
    let m = w.account("m").await;
    let v = w.account("v").await;
    let mut d = w.draft(a, Visibility::Public);
    d.mentions = vec![m];
    d.tags = vec!["x".into(), "y".into()];
    let s1 = w.create(d).await;
    let r = w.reblog(b, s1).await;
    let hidden = w.post(a, Visibility::Private).await;
    let q = w.quote(c, hidden).await;
    let plain = w.post(c, Visibility::Public).await;
    assert!(s.favourite(w.id(), v, s1, None).await.unwrap().is_new());
    assert!(s.bookmark(w.id(), v, q).await.unwrap());
    s.add_views(&[(s1, 7, 3), (q, 6, 1)]).await.unwrap();

    let bundle = s.status_bundle(&[r, q, plain], Some(v), 7).await.unwrap();
    let got: HashSet<Id> = bundle.statuses.iter().map(|x| x.id).collect();
    assert_eq!(
        got,
        set(&[r, s1, q, hidden, plain]),
        "the page, what it reblogs and what it quotes"
    );
    assert_eq!(bundle.statuses.len(), 5, "each status once");
    let accounts: HashSet<Id> = bundle.accounts.iter().map(|x| x.id).collect();
    assert_eq!(
        accounts,
        set(&[a, b, c, m]),
        "authors and mentioned accounts"
    );
    assert_eq!(bundle.mentions, vec![(s1, m)]);
    let mut tags = bundle.tags.clone();
    tags.sort();
    assert_eq!(tags, vec![(s1, "x".to_string()), (s1, "y".to_string())]);
    assert!(
        bundle.visible_quotes.is_empty(),
        "v does not follow a: the quoted private post is not visible"
    );
    let flags: std::collections::HashMap<Id, ViewerFlags> = bundle.flags.iter().copied().collect();
    assert!(flags[&s1].favourited && !flags[&s1].bookmarked);
    assert!(flags[&q].bookmarked && !flags[&q].favourited);
    assert!(!flags[&plain].favourited && !flags[&plain].reblogged);
    let views: std::collections::HashMap<Id, ViewCount> = bundle.views.iter().copied().collect();
    assert_eq!(views[&s1], ViewCount { total: 3, today: 3 });
    assert_eq!(views[&q], ViewCount { total: 1, today: 0 });
    assert!(!views.contains_key(&plain));

    // The author sees the quoted post; nobody signed in gets no flags.
    let mine = s.status_bundle(&[q], Some(a), 7).await.unwrap();
    assert_eq!(mine.visible_quotes, vec![hidden]);
    let anon = s.status_bundle(&[r], None, 7).await.unwrap();
    assert!(anon.flags.is_empty());
    let empty = s.status_bundle(&[w.id()], Some(v), 7).await.unwrap();
    assert!(empty.statuses.is_empty() && empty.accounts.is_empty());
}

/// Every read right after a write shows the write, even when the same rows were read
/// just before (a store that keeps rows in memory must drop them on every change,
/// cascades included).
pub async fn reads_follow_every_write(s: &dyn Store) {
    let w = W::new(s);
    let a = w.account("a").await;
    let b = w.account("b").await;
    let st = w.post(a, Visibility::Public).await;
    let read = |id: Id| async move { s.statuses(&[id]).await.unwrap().pop() };
    let acct = |id: Id| async move { s.accounts(&[id]).await.unwrap().pop().unwrap() };
    // Warm whatever is kept, through every read path.
    assert_eq!(read(st).await.unwrap().favourites_count, 0);
    s.status_bundle(&[st], Some(b), 1).await.unwrap();
    assert_eq!(acct(a).await.statuses_count, 1);
    assert_eq!(w.acct(a).await.followers_count, 0);

    assert!(s.favourite(w.id(), b, st, None).await.unwrap().is_new());
    assert_eq!(read(st).await.unwrap().favourites_count, 1);
    assert_eq!(w.status(st).await.favourites_count, 1);
    let rb = w.reblog(b, st).await;
    let bundle = s.status_bundle(&[rb], Some(b), 1).await.unwrap();
    let orig = bundle.statuses.iter().find(|x| x.id == st).unwrap();
    assert_eq!((orig.reblogs_count, orig.favourites_count), (1, 1));
    assert_eq!(acct(b).await.statuses_count, 1, "the reblog counts for b");
    w.reply(b, st, Visibility::Public).await;
    assert_eq!(read(st).await.unwrap().replies_count, 1);
    assert!(s.set_pinned(st, true).await.unwrap());
    assert!(read(st).await.unwrap().pinned);
    let edit = StatusEdit {
        text: "edited".into(),
        content_html: "<p>edited</p>".into(),
        spoiler_text: String::new(),
        sensitive: true,
        language: None,
        mentions: vec![b],
        tags: vec!["fresh".into()],
        edited_at: Timestamp::now(),
    };
    s.edit_status(st, &edit).await.unwrap();
    let got = w.status(st).await;
    assert_eq!((got.text.as_str(), got.sensitive), ("edited", true));
    assert!(got.edited_at.is_some());
    let after = s.status_bundle(&[st], Some(b), 1).await.unwrap();
    assert_eq!(after.mentions, vec![(st, b)], "mentions follow the edit");
    assert_eq!(
        after.tags,
        vec![(st, "fresh".to_string())],
        "tags follow the edit"
    );

    w.follow(b, a).await;
    assert_eq!(acct(a).await.followers_count, 1);
    assert_eq!(w.acct(b).await.following_count, 1);
    s.update_profile(
        a,
        &ProfileUpdate {
            display_name: Some("Renamed".into()),
            ..ProfileUpdate::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(acct(a).await.display_name, "Renamed");

    // Deleting the post takes its reblog with it (a cascade), and the counts.
    read(rb).await.unwrap();
    s.delete_status(st).await.unwrap();
    assert!(read(st).await.is_none());
    assert!(s.status(rb).await.unwrap().is_none(), "the reblog went too");
    assert!(s
        .status_bundle(&[rb, st], Some(b), 1)
        .await
        .unwrap()
        .statuses
        .is_empty());
    assert_eq!(acct(a).await.statuses_count, 0);
    assert_eq!(acct(b).await.statuses_count, 1, "b keeps only the reply");
}

pub async fn related_statuses(s: &dyn Store) {
    let w = W::new(s);
    let a = w.account("relauthor").await;
    let b = w.account("relother").await;
    let c = w.account("relthird").await;
    let m = w.account("relmentioned").await;
    let (t1, t2) = (format!("ra{}", w.tag), format!("rb{}", w.tag));
    let tagged = |author, vis, tags: &[&String], mentions: Vec<Id>| {
        let mut d = w.draft(author, vis);
        d.tags = tags.iter().map(|t| t.to_string()).collect();
        d.mentions = mentions;
        d
    };
    let main = w
        .create(tagged(a, Visibility::Public, &[&t1, &t2], vec![m]))
        .await;
    let both = w
        .create(tagged(b, Visibility::Public, &[&t1, &t2], vec![]))
        .await;
    let one = w
        .create(tagged(b, Visibility::Public, &[&t1], vec![]))
        .await;
    let mentioning = w.create(tagged(c, Visibility::Public, &[], vec![m])).await;
    let same_author = w.post(a, Visibility::Public).await;
    w.reblog(a, both).await; // a reblog is never related
    w.post(c, Visibility::Public).await; // unrelated
    let hidden = w
        .create(tagged(b, Visibility::Private, &[&t1, &t2], vec![]))
        .await;

    assert_eq!(
        s.related_statuses(main, None, 10).await.unwrap(),
        vec![both, one, mentioning, same_author],
        "shared tags rank first, then mentions, then the author's"
    );
    assert_eq!(
        s.related_statuses(main, None, 2).await.unwrap(),
        vec![both, one]
    );
    // The private post shows to its author, ranked with the others (newest first among
    // equals).
    assert_eq!(
        s.related_statuses(main, Some(b), 10).await.unwrap(),
        vec![hidden, both, one, mentioning, same_author]
    );
    assert!(s
        .related_statuses(w.id(), None, 10)
        .await
        .unwrap()
        .is_empty());
}

// ---------------------------------------------------------------------------------------
// Federation: foreign accounts, outbox, inbox replay guard, inventory of foreign items

/// A fixed instant (2001-09-09) for rows whose times the test sets itself: millisecond
/// precision, as stores keep, and far from `now` so real deadlines never interfere.
const T0: i64 = 1_000_000_000_000;

fn at(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).expect("valid timestamp")
}

impl W<'_> {
    fn remote_profile(&self, base: &str, region: &str) -> Account {
        Account {
            id: self.id(),
            username: self.name(base),
            home_region: region.to_owned(),
            display_name: base.to_owned(),
            note_source: format!("{base} from {region}"),
            note_html: format!("<p>{base} from {region}</p>"),
            locked: false,
            bot: false,
            discoverable: true,
            created_at: at(T0),
            followers_count: 0,
            following_count: 0,
            statuses_count: 0,
            last_status_at: None,
            suspended: false,
            silenced: false,
            moving: false,
            fields: Vec::new(),
            avatar: None,
            header: None,
        }
    }

    /// A foreign account, written the way the inbox writes one.
    async fn remote(&self, base: &str, region: &str) -> Id {
        let a = self.remote_profile(base, region);
        self.s
            .upsert_remote_account(&a)
            .await
            .expect("upsert remote account");
        a.id
    }

    /// A pending delivery first due (and created) at `due_ms`.
    fn outbox_item(&self, destination: &str, due_ms: i64) -> OutboxItem {
        let id = self.id();
        OutboxItem {
            id,
            destination: destination.to_owned(),
            class: DataClass::PublicContent,
            subject: None,
            object: format!("status:{id}"),
            purpose: "deliver Create".into(),
            body: format!(r#"{{"type":"Create","id":"{id}"}}"#),
            created_at: at(due_ms),
            next_attempt_at: at(due_ms),
            attempts: 0,
            state: OutboxState::Pending,
            last_error: None,
            ledger_index: None,
        }
    }
}

fn only_items(items: Vec<OutboxItem>, mine: &HashSet<Id>) -> Vec<OutboxItem> {
    items.into_iter().filter(|i| mine.contains(&i.id)).collect()
}

fn by_id(mut items: Vec<OutboxItem>) -> Vec<OutboxItem> {
    items.sort_by_key(|i| i.id);
    items
}

fn by_object(mut records: Vec<ForeignRecord>) -> Vec<ForeignRecord> {
    records.sort_by(|a, b| a.object.cmp(&b.object));
    records
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

pub async fn remote_accounts_by_handle(s: &dyn Store) {
    let w = W::new(s);
    let remote = w.remote_profile("Remy", "f1");
    let name = remote.username.clone();
    s.upsert_remote_account(&remote).await.unwrap();
    assert_eq!(w.acct(remote.id).await, remote);
    assert_eq!(
        s.account_by_handle(&name.to_uppercase(), "f1")
            .await
            .unwrap(),
        Some(remote.clone()),
        "names are case-insensitive"
    );
    assert!(s.account_by_handle(&name, "f2").await.unwrap().is_none());
    assert!(s
        .account_by_handle(&w.name("nobody"), "f1")
        .await
        .unwrap()
        .is_none());

    // The same name at another home is another account.
    let twin = Account {
        id: w.id(),
        home_region: "f2".into(),
        ..remote.clone()
    };
    s.upsert_remote_account(&twin).await.unwrap();
    assert_eq!(
        s.account_by_handle(&name, "f2").await.unwrap(),
        Some(twin.clone())
    );
    assert_eq!(
        s.account_by_handle(&name, "f1")
            .await
            .unwrap()
            .map(|a| a.id),
        Some(remote.id)
    );
    // Foreign names do not take local usernames: a sign-up here may use it.
    let mut na = w.new_account("Remy", &w.region());
    na.username = name.clone();
    let local = s.create_account(&na, None).await.unwrap();
    assert_eq!(
        s.account_by_username(&name).await.unwrap().map(|a| a.id),
        Some(local.id)
    );
    assert_eq!(
        set(&s
            .accounts(&[remote.id, twin.id, local.id])
            .await
            .unwrap()
            .iter()
            .map(|a| a.id)
            .collect::<Vec<_>>()),
        set(&[remote.id, twin.id, local.id])
    );

    // A refresh replaces the profile fields and leaves counters and identity alone.
    w.follow(local.id, remote.id).await;
    assert_eq!(w.acct(remote.id).await.followers_count, 1);
    let refreshed = Account {
        username: w.name("renamed"),
        home_region: "f9".into(),
        display_name: "Remy R.".into(),
        note_source: String::new(),
        note_html: String::new(),
        locked: true,
        bot: true,
        discoverable: false,
        created_at: at(T0 + 5_000),
        followers_count: 0,
        ..remote.clone()
    };
    s.upsert_remote_account(&refreshed).await.unwrap();
    let got = w.acct(remote.id).await;
    assert_eq!(
        (
            got.display_name.as_str(),
            got.note_source.as_str(),
            got.note_html.as_str(),
            got.locked,
            got.bot,
            got.discoverable
        ),
        ("Remy R.", "", "", true, true, false)
    );
    assert_eq!(got.followers_count, 1, "counters untouched");
    assert_eq!(
        (got.username, got.home_region, got.created_at),
        (name.clone(), "f1".to_string(), at(T0)),
        "who the account is does not change"
    );
    assert_eq!(
        s.account_by_handle(&name, "f1")
            .await
            .unwrap()
            .map(|a| a.id),
        Some(remote.id)
    );
    assert_eq!(w.acct(twin.id).await, twin, "the twin is untouched");
}

pub async fn follower_regions_and_followed_foreign(s: &dyn Store) {
    let w = W::new(s);
    let local = w.region();
    let me = w.account("me").await;
    assert!(s.follower_regions(me, &local).await.unwrap().is_empty());
    assert!(s.followed_foreign(me, &local).await.unwrap().is_empty());

    let f1a = w.remote("f1a", "f1").await;
    let f1b = w.remote("f1b", "f1").await;
    let f2 = w.remote("f2", "f2").await;
    let f3 = w.remote("f3", "f3").await;
    let neighbour = w.account("neighbour").await;
    for follower in [f1a, f1b, f2, neighbour] {
        w.follow(follower, me).await;
    }
    s.follow(w.id(), f3, me, FollowState::Requested, false, true)
        .await
        .unwrap();

    // Distinct regions, without the local one and without pending requests.
    assert_eq!(
        sorted(s.follower_regions(me, &local).await.unwrap()),
        vec!["f1".to_string(), "f2".to_string()]
    );
    assert_eq!(
        sorted(s.follower_regions(me, "f1").await.unwrap()),
        sorted(vec![local.clone(), "f2".into()]),
        "`local` is whatever region the caller is"
    );

    w.follow(me, f1a).await;
    w.follow(me, neighbour).await;
    s.follow(w.id(), me, f2, FollowState::Requested, false, true)
        .await
        .unwrap();
    let followed = s.followed_foreign(me, &local).await.unwrap();
    assert_eq!(
        followed,
        vec![w.acct(f1a).await],
        "accepted and foreign only"
    );

    assert!(s.unfollow(f2, me).await.unwrap());
    assert_eq!(
        s.follower_regions(me, &local).await.unwrap(),
        vec!["f1".to_string()]
    );
    assert!(s.unfollow(f1a, me).await.unwrap());
    assert_eq!(
        s.follower_regions(me, &local).await.unwrap(),
        vec!["f1".to_string()],
        "f1b still follows"
    );
    assert!(s.authorize_request(me, f3).await.unwrap());
    assert_eq!(
        sorted(s.follower_regions(me, &local).await.unwrap()),
        vec!["f1".to_string(), "f3".to_string()]
    );
    assert!(s.unfollow(me, f1a).await.unwrap());
    assert!(s.followed_foreign(me, &local).await.unwrap().is_empty());

    let nobody = w.id();
    assert!(s.follower_regions(nobody, &local).await.unwrap().is_empty());
    assert!(s.followed_foreign(nobody, &local).await.unwrap().is_empty());
}

pub async fn outbox_enqueue_and_due(s: &dyn Store) {
    let w = W::new(s);
    let before = s.next_outbox_due().await.unwrap();
    s.enqueue(&[]).await.unwrap();
    let author = w.account("author").await;

    let mut a = w.outbox_item("f1", T0);
    a.subject = Some(author);
    a.class = DataClass::SocialGraph;
    a.object = format!("follow:{author}:{}", w.id());
    let b = w.outbox_item("f2", T0 + 1_000);
    // Every field comes back as enqueued, those of an item already tried included.
    let mut c = w.outbox_item("f1", T0 + 2_000);
    c.attempts = 3;
    c.last_error = Some("connection refused".into());
    c.ledger_index = Some(7);
    let later = w.outbox_item("f2", T0 + 60_000);
    s.enqueue(&[later.clone(), c.clone(), a.clone()])
        .await
        .unwrap();
    s.enqueue(std::slice::from_ref(&b)).await.unwrap();

    let mine = set(&[a.id, b.id, c.id, later.id]);
    let mine = &mine;
    let due = |now: i64, limit: u32| async move {
        only_items(s.due_outbox(at(now), limit).await.unwrap(), mine)
    };
    assert!(due(T0 - 1, 10).await.is_empty(), "nothing due yet");
    assert_eq!(due(T0, 10).await, vec![a.clone()], "due at its time");
    assert_eq!(
        due(T0 + 2_000, 10).await,
        vec![a.clone(), b.clone(), c.clone()],
        "oldest first"
    );
    assert_eq!(due(T0 + 2_000, 2).await, vec![a.clone(), b.clone()]);
    assert!(due(T0 + 2_000, 0).await.is_empty());
    assert_eq!(
        due(T0 + 60_000, 10).await,
        vec![a.clone(), b.clone(), c.clone(), later.clone()]
    );
    // Reading is not claiming: the same items stay due until written back.
    assert_eq!(due(T0 + 60_000, 10).await.len(), 4);

    let all = vec![a.clone(), b.clone(), c.clone(), later.clone()];
    assert_eq!(
        by_id(only_items(s.outbox_items(None).await.unwrap(), mine)),
        all
    );
    assert_eq!(
        by_id(only_items(
            s.outbox_items(Some(OutboxState::Pending)).await.unwrap(),
            mine
        )),
        all
    );
    for state in [
        OutboxState::Delivered,
        OutboxState::Expired,
        OutboxState::Denied,
    ] {
        assert!(only_items(s.outbox_items(Some(state)).await.unwrap(), mine).is_empty());
    }
    let first = before.map_or(at(T0), |t| t.min(at(T0)));
    assert_eq!(s.next_outbox_due().await.unwrap(), Some(first));

    // An ID already queued is refused and the queued item kept as it was.
    let dup = OutboxItem {
        body: "other".into(),
        destination: "f9".into(),
        ..b.clone()
    };
    assert!(s.enqueue(&[dup]).await.is_err());
    assert_eq!(
        by_id(only_items(s.outbox_items(None).await.unwrap(), mine)),
        all
    );
}

pub async fn outbox_retry_and_final_states(s: &dyn Store) {
    let w = W::new(s);
    let before = s.next_outbox_due().await.unwrap();
    let x = w.outbox_item("f1", T0);
    let y = w.outbox_item("f1", T0 + 10);
    let z = w.outbox_item("f2", T0 + 20);
    let v = w.outbox_item("f2", T0 + 30);
    s.enqueue(&[x.clone(), y.clone(), z.clone(), v.clone()])
        .await
        .unwrap();
    let mine = set(&[x.id, y.id, z.id, v.id]);
    let mine = &mine;
    let due = |now: i64| async move {
        by_id(only_items(s.due_outbox(at(now), 100).await.unwrap(), mine))
    };
    let stored = |id: Id| async move {
        s.outbox_items(None)
            .await
            .unwrap()
            .into_iter()
            .find(|i| i.id == id)
            .expect("item kept")
    };

    // A failed attempt: counted, its error kept, the next one pushed back.
    let mut x1 = OutboxItem {
        attempts: 1,
        last_error: Some("timeout".into()),
        ledger_index: Some(41),
        next_attempt_at: at(T0 + 100),
        ..x.clone()
    };
    s.update_outbox(&x1).await.unwrap();
    assert_eq!(stored(x.id).await, x1);
    assert_eq!(due(T0 + 30).await, vec![y.clone(), z.clone(), v.clone()]);
    assert_eq!(
        due(T0 + 100).await,
        vec![x1.clone(), y.clone(), z.clone(), v.clone()]
    );
    let expect_next = |t: i64| Some(before.map_or(at(t), |b| b.min(at(t))));
    assert_eq!(s.next_outbox_due().await.unwrap(), expect_next(T0 + 10));

    // A second failure, backed off further; the ledger index stays.
    x1.attempts = 2;
    x1.last_error = Some("HTTP 503".into());
    x1.next_attempt_at = at(T0 + 300);
    s.update_outbox(&x1).await.unwrap();
    assert_eq!(stored(x.id).await, x1);
    assert!(!due(T0 + 299).await.iter().any(|i| i.id == x.id));

    // Delivered: never due again. Only the attempt's fields are written back.
    let y_done = OutboxItem {
        state: OutboxState::Delivered,
        attempts: 1,
        ledger_index: Some(42),
        body: "changed".into(),
        destination: "f9".into(),
        object: "status:0".into(),
        purpose: "changed".into(),
        class: DataClass::Engagement,
        subject: Some(w.id()),
        created_at: at(T0 + 999),
        ..y.clone()
    };
    s.update_outbox(&y_done).await.unwrap();
    let got = stored(y.id).await;
    assert_eq!(
        got,
        OutboxItem {
            state: OutboxState::Delivered,
            attempts: 1,
            ledger_index: Some(42),
            ..y.clone()
        }
    );
    // Delivered after failures: the last error is cleared.
    let x_done = OutboxItem {
        state: OutboxState::Delivered,
        attempts: 3,
        last_error: None,
        ..x1.clone()
    };
    s.update_outbox(&x_done).await.unwrap();
    assert_eq!(stored(x.id).await, x_done);

    // Given up: kept, as the record of it, with its attempts and last error.
    let z_gone = OutboxItem {
        state: OutboxState::Expired,
        attempts: 9,
        last_error: Some("connection refused".into()),
        ..z.clone()
    };
    s.update_outbox(&z_gone).await.unwrap();
    let v_denied = OutboxItem {
        state: OutboxState::Denied,
        last_error: Some("denied by policy: f2 public_content".into()),
        ..v.clone()
    };
    s.update_outbox(&v_denied).await.unwrap();

    assert!(due(i64::from(i32::MAX) * 1_000).await.is_empty());
    assert_eq!(s.next_outbox_due().await.unwrap(), before);
    let in_state =
        |state| async move { by_id(only_items(s.outbox_items(Some(state)).await.unwrap(), mine)) };
    assert!(in_state(OutboxState::Pending).await.is_empty());
    assert_eq!(
        in_state(OutboxState::Delivered).await,
        vec![x_done.clone(), got]
    );
    assert_eq!(in_state(OutboxState::Expired).await, vec![z_gone]);
    assert_eq!(in_state(OutboxState::Denied).await, vec![v_denied]);

    // Writing back an item that was never queued does not queue it (an error or not).
    let ghost = w.outbox_item("f1", T0);
    let _ = s.update_outbox(&ghost).await;
    assert!(!s
        .outbox_items(None)
        .await
        .unwrap()
        .iter()
        .any(|i| i.id == ghost.id));
}

pub async fn inbox_dedupe(s: &dyn Store) {
    use roost_core::store::Seen;
    let w = W::new(s);
    let t = at(T0);
    let later = at(T0 + 60_000);
    // Marks older than this are not taken over (a live handler has them).
    let fresh = at(T0 - 1);
    let a = format!("https://f1.example/ap/activities/{}", w.tag);
    let b = format!("{a}0");
    let upper = a.to_uppercase();
    let mark = |id: String, at: Timestamp, stale: Timestamp| async move {
        s.mark_activity_seen(&id, at, stale).await.unwrap()
    };

    assert_eq!(mark(a.clone(), t, fresh).await, Seen::New, "first delivery");
    assert_eq!(
        mark(a.clone(), t, fresh).await,
        Seen::Applying,
        "while it is applied"
    );
    s.finish_activity(&a).await.unwrap();
    assert_eq!(mark(a.clone(), t, fresh).await, Seen::Applied, "replay");
    assert_eq!(
        mark(a.clone(), later, later).await,
        Seen::Applied,
        "an applied one is never taken over"
    );
    // IDs are compared whole and exactly.
    assert_eq!(mark(b.clone(), t, fresh).await, Seen::New);
    assert_eq!(mark(upper.clone(), t, fresh).await, Seen::New);
    // A mark left unapplied (its handler stopped) is taken over once it is old, once.
    assert_eq!(mark(b.clone(), later, fresh).await, Seen::Applying);
    assert_eq!(mark(b.clone(), later, later).await, Seen::New, "taken over");
    assert_eq!(
        mark(b.clone(), later, later).await,
        Seen::Applying,
        "by one handler"
    );

    // A failed handling is forgotten so that its retry is handled; the others stay.
    s.forget_activity(&a).await.unwrap();
    assert_eq!(mark(a.clone(), later, fresh).await, Seen::New);
    s.finish_activity(&a).await.unwrap();
    assert_eq!(mark(a.clone(), later, fresh).await, Seen::Applied);
    assert_eq!(mark(upper.clone(), later, fresh).await, Seen::Applying);

    // Forgetting or finishing what was never seen, or twice, is fine.
    s.forget_activity(&w.name("never")).await.unwrap();
    s.finish_activity(&w.name("never")).await.unwrap();
    assert_eq!(mark(w.name("never"), t, fresh).await, Seen::New);
    s.forget_activity(&b).await.unwrap();
    s.forget_activity(&b).await.unwrap();
    assert_eq!(mark(b.clone(), t, fresh).await, Seen::New);
}

pub async fn foreign_records_and_expiry(s: &dyn Store) {
    let w = W::new(s);
    let subject = w.remote("subject", "f1").await;
    let other = w.remote("other", "f2").await;
    let me = w.account("me").await;
    let rec = |object: String, class, subject, expires: Option<i64>| ForeignRecord {
        object,
        home_region: "f1".into(),
        class,
        subject,
        stored_at: at(T0),
        expires_at: expires.map(at),
    };
    let st = rec(
        format!("status:{}", w.id()),
        DataClass::PublicContent,
        Some(subject),
        Some(T0 + 1_000),
    );
    let fav = rec(
        format!("favourite:{subject}:{}", w.id()),
        DataClass::Engagement,
        Some(subject),
        Some(T0 + 2_000),
    );
    let acc = ForeignRecord {
        home_region: "f2".into(),
        ..rec(
            format!("account:{other}"),
            DataClass::PublicContent,
            Some(other),
            Some(T0 + 3_000),
        )
    };
    // `store` without a limit: kept until the origin says otherwise.
    let fol = ForeignRecord {
        home_region: "f2".into(),
        ..rec(
            format!("follow:{other}:{me}"),
            DataClass::SocialGraph,
            Some(other),
            None,
        )
    };
    let agg = rec(
        format!("aggregate:{}", w.tag),
        DataClass::Aggregate,
        None,
        Some(T0 + 500),
    );
    let all = [&st, &fav, &acc, &fol, &agg];
    let objects: HashSet<String> = all.iter().map(|r| r.object.clone()).collect();
    let objects = &objects;
    let mine = |v: Vec<ForeignRecord>| {
        by_object(
            v.into_iter()
                .filter(|r| objects.contains(&r.object))
                .collect(),
        )
    };
    let expired = |now: i64, limit: u32| async move {
        mine(s.expired_foreign(at(now), limit).await.unwrap())
    };

    assert!(mine(s.foreign_records(None).await.unwrap()).is_empty());
    for r in all {
        s.record_foreign(r).await.unwrap();
    }
    assert_eq!(
        mine(s.foreign_records(None).await.unwrap()),
        by_object(all.iter().map(|r| (*r).clone()).collect())
    );
    assert_eq!(
        by_object(s.foreign_records(Some(subject)).await.unwrap()),
        by_object(vec![st.clone(), fav.clone()])
    );
    assert_eq!(
        by_object(s.foreign_records(Some(other)).await.unwrap()),
        by_object(vec![acc.clone(), fol.clone()])
    );
    assert!(s.foreign_records(Some(w.id())).await.unwrap().is_empty());

    // Due once the deadline is reached; never without one.
    assert!(expired(T0 + 499, 100).await.is_empty());
    assert_eq!(expired(T0 + 500, 100).await, vec![agg.clone()]);
    assert_eq!(
        expired(T0 + 2_000, 100).await,
        by_object(vec![agg.clone(), st.clone(), fav.clone()])
    );
    let capped = expired(T0 + 3_000, 2).await;
    assert_eq!(capped.len(), 2);
    assert!(capped.iter().all(|r| r.object != fol.object));
    assert_eq!(expired(T0 + 3_000, 100).await.len(), 4);

    // Recording again refreshes the times: still one record.
    let st2 = ForeignRecord {
        stored_at: at(T0 + 5_000),
        expires_at: Some(at(T0 + 9_000)),
        ..st.clone()
    };
    s.record_foreign(&st2).await.unwrap();
    let acc2 = ForeignRecord {
        expires_at: None,
        ..acc.clone()
    };
    s.record_foreign(&acc2).await.unwrap();
    assert_eq!(
        by_object(s.foreign_records(Some(subject)).await.unwrap()),
        by_object(vec![st2.clone(), fav.clone()])
    );
    assert_eq!(
        expired(T0 + 3_000, 100).await,
        by_object(vec![agg.clone(), fav.clone()])
    );

    s.remove_foreign(&fav.object).await.unwrap();
    s.remove_foreign(&fav.object).await.unwrap();
    s.remove_foreign(&w.name("status:0")).await.unwrap();
    assert_eq!(
        s.foreign_records(Some(subject)).await.unwrap(),
        vec![st2.clone()]
    );

    // The purge's loop: take a batch, remove it, until none is left.
    let mut purged = Vec::new();
    loop {
        let batch = expired(T0 + 10_000, 1).await;
        if batch.is_empty() {
            break;
        }
        for r in batch {
            s.remove_foreign(&r.object).await.unwrap();
            purged.push(r.object);
        }
        assert!(purged.len() <= 2, "removed records are not returned again");
    }
    assert_eq!(sorted(purged), sorted(vec![agg.object, st2.object]));
    assert_eq!(
        mine(s.foreign_records(None).await.unwrap()),
        by_object(vec![acc2, fol])
    );
}

// ---------------------------------------------------------------------------------------
// Ledger leaves (`roost_residency::LedgerStore`) and the `Ledger` over them

fn ledger_entry(n: u64, subject: Option<Id>) -> LedgerEntry {
    LedgerEntry {
        time_ms: T0 + n as i64,
        direction: if n % 2 == 1 {
            Direction::Stored
        } else {
            Direction::Sent
        },
        class: DataClass::PublicContent,
        subject: subject.map(|s| s.to_string()),
        object: format!("status:{n}"),
        counterpart: "f1".into(),
        purpose: "deliver Create".into(),
        payload_sha256: roost_residency::ledger::sha256_hex(&n.to_be_bytes()),
        decision: "store:30d".into(),
    }
}

fn leaf_of(bytes: Vec<u8>) -> (Vec<u8>, Hash) {
    let h = merkle::leaf_hash(&bytes);
    (bytes, h)
}

/// roost-store does not depend on ed25519-dalek: the key type is whatever `Ledger::open`
/// takes, built from a fixed seed.
fn ledger_key<K: From<[u8; 32]>>() -> K {
    K::from([7; 32])
}

/// The store's ledger half behind an owned handle, as `Ledger::open` takes one.
struct Leaves(Arc<dyn Store>);

#[async_trait]
impl LedgerStore for Leaves {
    async fn append_leaves(&self, leaves: &[(Vec<u8>, Hash)]) -> Result<u64, LedgerStoreError> {
        self.0.append_leaves(leaves).await
    }
    async fn leaf_hashes(&self) -> Result<Vec<Hash>, LedgerStoreError> {
        self.0.leaf_hashes().await
    }
    async fn leaf(&self, index: u64) -> Result<Option<Vec<u8>>, LedgerStoreError> {
        self.0.leaf(index).await
    }
    async fn leaves(&self, from: u64, to: u64) -> Result<Vec<(u64, Vec<u8>)>, LedgerStoreError> {
        self.0.leaves(from, to).await
    }
    async fn leaf_count(&self) -> Result<u64, LedgerStoreError> {
        self.0.leaf_count().await
    }
    async fn leaf_hashes_from(&self, from: u64) -> Result<Vec<Hash>, LedgerStoreError> {
        self.0.leaf_hashes_from(from).await
    }
    async fn append_leaves_after(
        &self,
        known: u64,
        leaves: &[(Vec<u8>, Hash)],
    ) -> Result<roost_residency::ledger_log::Appended, LedgerStoreError> {
        self.0.append_leaves_after(known, leaves).await
    }
}

pub async fn ledger_leaves_append_and_read(s: &dyn Store) {
    let w = W::new(s);
    let base = s.leaf_hashes().await.unwrap().len() as u64;
    assert!(s.leaf(base).await.unwrap().is_none());
    assert!(s.leaves(base, base + 10).await.unwrap().is_empty());
    assert_eq!(s.append_leaves(&[]).await.unwrap(), base, "nothing added");

    // Leaves are opaque bytes to the store: entries, and anything else.
    let leaves: Vec<(Vec<u8>, Hash)> = vec![
        leaf_of(ledger_entry(1, Some(w.id())).leaf_bytes()),
        leaf_of(b"not an entry \x00\xff\n".to_vec()),
        leaf_of(ledger_entry(2, None).leaf_bytes()),
        leaf_of(ledger_entry(3, Some(w.id())).leaf_bytes()),
        leaf_of(vec![0xAB; 64]),
    ];
    assert_eq!(s.append_leaves(&leaves[..3]).await.unwrap(), base);
    assert_eq!(s.append_leaves(&leaves[3..]).await.unwrap(), base + 3);
    assert_eq!(s.append_leaves(&[]).await.unwrap(), base + 5);

    let hashes = s.leaf_hashes().await.unwrap();
    assert_eq!(hashes.len() as u64, base + 5);
    assert_eq!(
        hashes[base as usize..].to_vec(),
        leaves.iter().map(|(_, h)| *h).collect::<Vec<_>>()
    );
    for (i, (bytes, _)) in leaves.iter().enumerate() {
        assert_eq!(s.leaf(base + i as u64).await.unwrap().as_ref(), Some(bytes));
    }
    assert!(s.leaf(base + 5).await.unwrap().is_none());
    assert!(s.leaf(u64::MAX).await.unwrap().is_none());

    let indexed = |from: usize, to: usize| -> Vec<(u64, Vec<u8>)> {
        (from..to)
            .map(|i| (base + i as u64, leaves[i].0.clone()))
            .collect()
    };
    assert_eq!(s.leaves(base + 1, base + 4).await.unwrap(), indexed(1, 4));
    assert_eq!(s.leaves(base, base + 5).await.unwrap(), indexed(0, 5));
    assert_eq!(
        s.leaves(base + 3, base + 100).await.unwrap(),
        indexed(3, 5),
        "clipped at the end"
    );
    assert_eq!(
        s.leaves(base + 4, u64::MAX).await.unwrap(),
        indexed(4, 5),
        "clipped whatever the end asked"
    );
    assert!(s.leaves(u64::MAX - 1, u64::MAX).await.unwrap().is_empty());
    assert!(s.leaves(1 << 63, u64::MAX).await.unwrap().is_empty());
    assert!(s.leaves(base + 2, base + 2).await.unwrap().is_empty());
    assert!(s.leaves(base + 4, base + 1).await.unwrap().is_empty());
    assert!(s.leaves(base + 5, base + 9).await.unwrap().is_empty());
}

pub async fn ledger_indices_about_subject(s: &dyn Store) {
    let w = W::new(s);
    let (a, b) = (w.id(), w.id());
    assert!(s.ledger_indices_about(a).await.unwrap().is_empty());
    let base = s.leaf_hashes().await.unwrap().len() as u64;
    let first = vec![
        leaf_of(ledger_entry(1, Some(a)).leaf_bytes()),
        leaf_of(ledger_entry(2, Some(b)).leaf_bytes()),
        leaf_of(ledger_entry(3, None).leaf_bytes()),
    ];
    let second = vec![
        leaf_of(ledger_entry(4, Some(a)).leaf_bytes()),
        // Bytes that are not an entry name no subject.
        leaf_of(format!(r#"{{"subject":"{a}"}}"#).into_bytes()),
        leaf_of(ledger_entry(5, Some(a)).leaf_bytes()),
    ];
    s.append_leaves(&first).await.unwrap();
    s.append_leaves(&second).await.unwrap();
    assert_eq!(
        s.ledger_indices_about(a).await.unwrap(),
        vec![base, base + 3, base + 5]
    );
    assert_eq!(s.ledger_indices_about(b).await.unwrap(), vec![base + 1]);
    assert!(s.ledger_indices_about(w.id()).await.unwrap().is_empty());
}

pub async fn ledger_over_store_proofs(f: &dyn Fixture) {
    let s = f.store();
    let w = W::new(s);
    let subject = w.id();
    let region = w.region();
    let open = || async {
        Ledger::open(region.clone(), ledger_key(), Arc::new(Leaves(f.shared())))
            .await
            .expect("open ledger")
    };
    let base = s.leaf_hashes().await.unwrap().len() as u64;
    let ledger = open().await;
    assert_eq!(ledger.size().await, base);

    let mut heads = vec![ledger.head().await];
    let mut all: Vec<LedgerEntry> = Vec::new();
    for batch in 1..=4u64 {
        let entries: Vec<LedgerEntry> = (0..batch)
            .map(|j| {
                let n = batch * 10 + j;
                ledger_entry(n, (j % 2 == 0).then_some(subject))
            })
            .collect();
        let first = ledger.append(&entries).await.unwrap();
        assert_eq!(first, base + all.len() as u64);
        all.extend(entries);
        let head = ledger.head().await;
        assert_eq!(head.head.tree_size, base + all.len() as u64);
        assert_eq!(head.head.region, region);
        head.verify(&[ledger.public_key()]).unwrap();
        heads.push(head);
    }
    let size = base + all.len() as u64;

    // The store holds exactly the bytes the ledger wrote.
    for (i, e) in all.iter().enumerate() {
        let index = base + i as u64;
        assert_eq!(s.leaf(index).await.unwrap(), Some(e.leaf_bytes()));
        assert_eq!(ledger.entry(index).await.unwrap().as_ref(), Some(e));
    }
    let read: Vec<LedgerEntry> = ledger
        .entries(base, size)
        .await
        .unwrap()
        .into_iter()
        .map(|(_, e)| e)
        .collect();
    assert_eq!(read, all);

    // Every entry is provably in every head that contains it, and only at its index.
    for h in &heads {
        let n = h.head.tree_size;
        for index in base..n {
            let leaf = all[(index - base) as usize].leaf_hash();
            let proof = ledger.inclusion(index, n).await.unwrap();
            verify_inclusion(&leaf, index, n, &proof, &h.head.root_hash).unwrap();
            if n - base > 1 {
                let wrong = if index > base { index - 1 } else { index + 1 };
                assert!(verify_inclusion(&leaf, wrong, n, &proof, &h.head.root_hash).is_err());
            }
        }
    }
    for pair in heads.windows(2) {
        let (old, new) = (&pair[0].head, &pair[1].head);
        let proof = ledger
            .consistency(old.tree_size, new.tree_size)
            .await
            .unwrap();
        verify_consistency(
            old.tree_size,
            new.tree_size,
            &old.root_hash,
            &new.root_hash,
            &proof,
        )
        .unwrap();
    }

    // Opened again over the same store (a restart), it rebuilds the same tree.
    let root = ledger.head().await.head.root_hash;
    drop(ledger);
    let again = open().await;
    assert_eq!(again.size().await, size);
    assert_eq!(again.head().await.head.root_hash, root);
    let next = ledger_entry(99, Some(subject));
    assert_eq!(
        again.append(std::slice::from_ref(&next)).await.unwrap(),
        size
    );
    all.push(next);

    // "Where is my data": the entries about the subject, each provable against the head.
    let head = again.head().await;
    let expected: Vec<u64> = all
        .iter()
        .enumerate()
        .filter(|(_, e)| e.subject.is_some())
        .map(|(i, _)| base + i as u64)
        .collect();
    let indices = s.ledger_indices_about(subject).await.unwrap();
    assert_eq!(indices, expected);
    for index in indices {
        let entry = again.entry(index).await.unwrap().expect("entry");
        let proof = again.inclusion(index, head.head.tree_size).await.unwrap();
        verify_inclusion(
            &entry.leaf_hash(),
            index,
            head.head.tree_size,
            &proof,
            &head.head.root_hash,
        )
        .unwrap();
    }
}

// ---------------------------------------------------------------------------------------
// Safety: blocks, mutes, domain blocks, conversation mutes

pub async fn safety_block_ends_follows_and_hides(s: &dyn Store) {
    use NotificationType as T;
    let w = W::new(s);
    let a = w.account("a").await;
    let b = w.account("b").await;
    let c = w.account("c").await;
    w.follow(a, b).await;
    w.follow(b, a).await;
    s.follow(w.id(), c, a, FollowState::Requested, false, true)
        .await
        .unwrap();
    let b_post = w.post(b, Visibility::Public).await;
    let a_post = w.post(a, Visibility::Public).await;
    let a_private = w.post(a, Visibility::Private).await;
    assert!(w.home(a).await.contains(&b_post));
    assert!(w.home(b).await.contains(&a_post));
    s.create_notifications(&[
        w.notification(a, T::Favourite, b, Some(a_post)),
        w.notification(b, T::Follow, a, None),
        w.notification(a, T::Follow, c, None),
    ])
    .await
    .unwrap();

    assert!(s.block(w.id(), a, b, Timestamp::now()).await.unwrap());
    assert!(!s.block(w.id(), a, b, Timestamp::now()).await.unwrap());
    let r = &s.relationships(a, &[b]).await.unwrap()[0];
    assert!(r.blocking && !r.blocked_by && !r.following && !r.followed_by);
    let r = &s.relationships(b, &[a]).await.unwrap()[0];
    assert!(r.blocked_by && !r.blocking && !r.following && !r.followed_by);
    assert_eq!(w.acct(a).await.following_count, 0);
    assert_eq!(w.acct(a).await.followers_count, 0);
    assert_eq!(w.acct(b).await.followers_count, 0);
    assert!(!w.home(a).await.contains(&b_post));
    assert!(!w.home(b).await.contains(&a_post));
    // The blocker's posts are gone for the blocked one, whatever their visibility.
    assert!(s
        .visible_ids(Some(b), &[a_post, a_private])
        .await
        .unwrap()
        .is_empty());
    assert_eq!(s.visible_ids(None, &[a_post]).await.unwrap(), vec![a_post]);
    assert_eq!(
        s.visible_ids(Some(a), &[b_post]).await.unwrap(),
        vec![b_post]
    );
    // Hidden from timelines both ways; the others' are not.
    assert_eq!(s.hidden_statuses(a, &[b_post]).await.unwrap(), vec![b_post]);
    assert_eq!(s.hidden_statuses(b, &[a_post]).await.unwrap(), vec![a_post]);
    assert!(s
        .hidden_statuses(c, &[a_post, b_post])
        .await
        .unwrap()
        .is_empty());
    assert!(s.hidden_statuses(a, &[a_post]).await.unwrap().is_empty());
    // A reblog of the blocked one's post by a third account is hidden too.
    let rb = w.reblog(c, b_post).await;
    assert_eq!(s.hidden_statuses(a, &[rb]).await.unwrap(), vec![rb]);
    // Notifications between them went; others stay.
    let n = s
        .notifications(a, &NotificationFilter::default(), page(40))
        .await
        .unwrap();
    assert_eq!(
        n.iter().map(|n| n.from_account_id).collect::<Vec<_>>(),
        vec![c]
    );
    assert!(s
        .notifications(b, &NotificationFilter::default(), page(40))
        .await
        .unwrap()
        .is_empty());
    // Who is kept from whom, both directions, and only by blocks for Shun::Blocks.
    assert_eq!(
        s.shunning(&[b], &[a, c], Shun::Blocks).await.unwrap(),
        vec![a]
    );
    assert_eq!(
        s.shunning(&[a], &[b, c], Shun::Posts).await.unwrap(),
        vec![b]
    );
    assert!(s
        .shunning(&[a], &[a], Shun::Posts)
        .await
        .unwrap()
        .is_empty());
    // A large audience (every connected stream) gives the same answer.
    let mut crowd: Vec<Id> = (0..1200).map(|_| w.id()).collect();
    crowd.push(b);
    crowd.push(c);
    assert_eq!(
        s.shunning(&[a], &crowd, Shun::Posts).await.unwrap(),
        vec![b]
    );
    assert_eq!(
        s.shunning(&[a], &crowd, Shun::Blocks).await.unwrap(),
        vec![b]
    );
    assert_eq!(ids_of(&s.blocks(a, page(40)).await.unwrap()), vec![b]);
    assert!(s.blocks(b, page(40)).await.unwrap().is_empty());

    assert!(s.unblock(a, b).await.unwrap());
    assert!(!s.unblock(a, b).await.unwrap());
    assert_eq!(
        s.relationships(a, &[b]).await.unwrap()[0],
        Relationship::default()
    );
    assert_eq!(
        s.visible_ids(Some(b), &[a_post]).await.unwrap(),
        vec![a_post]
    );
    assert!(s.hidden_statuses(a, &[b_post]).await.unwrap().is_empty());
}

pub async fn safety_mutes_and_expiry(s: &dyn Store) {
    use NotificationType as T;
    let w = W::new(s);
    let a = w.account("a").await;
    let m = w.account("m").await;
    let other = w.account("other").await;
    w.follow(a, m).await;
    let post = w.post(m, Visibility::Public).await;
    let other_post = w.post(other, Visibility::Public).await;
    s.create_notifications(&[
        w.notification(a, T::Mention, m, Some(post)),
        w.notification(a, T::Follow, other, None),
    ])
    .await
    .unwrap();
    async fn notes(s: &dyn Store, a: Id) -> Vec<Id> {
        s.notifications(a, &NotificationFilter::default(), page(40))
            .await
            .unwrap()
            .into_iter()
            .map(|n| n.from_account_id)
            .collect()
    }

    // Without notifications: posts hidden, notifications kept; the follow stays.
    s.mute(w.id(), a, m, false, None, Timestamp::now())
        .await
        .unwrap();
    let r = &s.relationships(a, &[m]).await.unwrap()[0];
    assert!(r.muting && !r.muting_notifications && r.following);
    assert!(!s.relationships(m, &[a]).await.unwrap()[0].muting);
    assert_eq!(
        s.hidden_statuses(a, &[post, other_post]).await.unwrap(),
        vec![post]
    );
    assert!(s.hidden_statuses(m, &[post]).await.unwrap().is_empty());
    assert_eq!(notes(s, a).await.len(), 2);
    assert_eq!(s.count_notifications(a, None).await.unwrap(), 2);
    assert_eq!(
        s.shunning(&[m], &[a, other], Shun::Posts).await.unwrap(),
        vec![a]
    );
    assert!(s
        .shunning(&[m], &[a], Shun::Notifications)
        .await
        .unwrap()
        .is_empty());
    assert!(s
        .shunning(&[m], &[a], Shun::Blocks)
        .await
        .unwrap()
        .is_empty());

    // Replaced, with notifications: those go from the list and the count.
    s.mute(w.id(), a, m, true, None, Timestamp::now())
        .await
        .unwrap();
    assert!(s.relationships(a, &[m]).await.unwrap()[0].muting_notifications);
    assert_eq!(notes(s, a).await, vec![other]);
    assert_eq!(s.count_notifications(a, None).await.unwrap(), 1);
    assert_eq!(
        s.shunning(&[m], &[a], Shun::Notifications).await.unwrap(),
        vec![a]
    );
    let listed = s.mutes(a, page(40)).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].item.target, m);
    assert!(listed[0].item.notifications && listed[0].item.expires_at.is_none());

    // An expired mute is not in effect anywhere.
    let past = Timestamp::now() - jiff::SignedDuration::from_secs(5);
    s.mute(w.id(), a, m, true, Some(past), Timestamp::now())
        .await
        .unwrap();
    assert!(!s.relationships(a, &[m]).await.unwrap()[0].muting);
    assert!(s.hidden_statuses(a, &[post]).await.unwrap().is_empty());
    assert_eq!(notes(s, a).await.len(), 2);
    assert!(s.mutes(a, page(40)).await.unwrap().is_empty());
    assert!(s
        .shunning(&[m], &[a], Shun::Posts)
        .await
        .unwrap()
        .is_empty());
    // One that has not expired yet is.
    let later = Timestamp::now() + jiff::SignedDuration::from_secs(3600);
    s.mute(w.id(), a, m, false, Some(later), Timestamp::now())
        .await
        .unwrap();
    assert_eq!(s.hidden_statuses(a, &[post]).await.unwrap(), vec![post]);
    let listed = s.mutes(a, page(40)).await.unwrap();
    assert_eq!(
        listed[0].item.expires_at.map(|t| t.as_millisecond()),
        Some(later.as_millisecond())
    );
    assert!(s.unmute(a, m).await.unwrap());
    assert!(!s.unmute(a, m).await.unwrap());
    assert!(s.hidden_statuses(a, &[post]).await.unwrap().is_empty());
}

pub async fn safety_domain_blocks_and_conversations(s: &dyn Store) {
    let w = W::new(s);
    let a = w.account("a").await;
    let near = w.account("near").await;
    let far_region = format!("far{}", w.tag);
    let far = w.bare_account("far", &far_region).await;
    let far_post = w.post(far, Visibility::Public).await;
    let near_post = w.post(near, Visibility::Public).await;

    assert!(s
        .block_domain(
            w.id(),
            a,
            "far.example",
            Some(&far_region),
            Timestamp::now()
        )
        .await
        .unwrap());
    assert!(!s
        .block_domain(
            w.id(),
            a,
            "far.example",
            Some(&far_region),
            Timestamp::now()
        )
        .await
        .unwrap());
    assert!(s
        .block_domain(w.id(), a, "nowhere.example", None, Timestamp::now())
        .await
        .unwrap());
    let listed = s.user_domain_blocks(a, page(40)).await.unwrap();
    assert_eq!(
        listed.iter().map(|c| c.item.as_str()).collect::<Vec<_>>(),
        vec!["nowhere.example", "far.example"]
    );
    let listed = s.user_domain_blocks(a, page(1)).await.unwrap();
    assert_eq!(listed[0].item, "nowhere.example");
    let next = Page {
        max_id: Some(listed[0].cursor),
        ..page(1)
    };
    assert_eq!(
        s.user_domain_blocks(a, next).await.unwrap()[0].item,
        "far.example"
    );
    assert_eq!(
        s.hidden_statuses(a, &[far_post, near_post]).await.unwrap(),
        vec![far_post]
    );
    let r = s.relationships(a, &[far, near]).await.unwrap();
    assert!(r[0].domain_blocking && !r[1].domain_blocking);
    assert_eq!(
        s.shunning(&[far], &[a, near], Shun::Posts).await.unwrap(),
        vec![a]
    );
    assert!(s.unblock_domain(a, "far.example").await.unwrap());
    assert!(s.hidden_statuses(a, &[far_post]).await.unwrap().is_empty());

    // Conversations: a thread's root, its mute and the flag on every post in it.
    let root = w.post(near, Visibility::Public).await;
    let r1 = w.reply(a, root, Visibility::Public).await;
    let r2 = w.reply(near, r1, Visibility::Public).await;
    assert_eq!(s.thread_root(r2).await.unwrap(), root);
    assert_eq!(s.thread_root(root).await.unwrap(), root);
    s.mute_conversation(a, root).await.unwrap();
    s.mute_conversation(a, root).await.unwrap();
    assert_eq!(
        s.conversation_muters(root, &[a, near]).await.unwrap(),
        vec![a]
    );
    let flags = s.viewer_flags(a, &[r2, near_post]).await.unwrap();
    let muted: HashSet<Id> = flags.iter().filter(|f| f.1.muted).map(|f| f.0).collect();
    assert_eq!(muted, set(&[r2]));
    assert!(s
        .viewer_flags(near, &[r2])
        .await
        .unwrap()
        .iter()
        .all(|f| !f.1.muted));
    s.unmute_conversation(a, root).await.unwrap();
    assert!(s.conversation_muters(root, &[a]).await.unwrap().is_empty());
    assert!(s
        .viewer_flags(a, &[r2])
        .await
        .unwrap()
        .iter()
        .all(|f| !f.1.muted));
}

/// A like applies the safety rules in its own write: refused across a block either way
/// (nothing written), and its notification left out when the author would not hear of
/// the liker (a mute with notifications, a hidden region, a muted thread).
pub async fn safety_favourite_applies_blocks_and_mutes(s: &dyn Store) {
    let w = W::new(s);
    let author = w.account("author").await;
    let liker = w.account("liker").await;
    let post = w.post(author, Visibility::Public).await;
    let reply = w.reply(liker, post, Visibility::Public).await;
    let wr = &w;
    let like = |status: Id| {
        let note = wr.notification(author, NotificationType::Favourite, liker, Some(status));
        async move { s.favourite(wr.id(), liker, status, Some(&note)).await }
    };
    let notes = || async {
        s.notifications(author, &NotificationFilter::default(), page(40))
            .await
            .unwrap()
            .len()
    };

    // A block either way: refused, no like, no count, no notification.
    for (blocker, blocked) in [(author, liker), (liker, author)] {
        s.block(w.id(), blocker, blocked, Timestamp::now())
            .await
            .unwrap();
        assert!(matches!(like(post).await, Err(StoreError::Blocked)));
        assert_eq!(w.status(post).await.favourites_count, 0);
        assert!(s.favourited_by(post, page(40)).await.unwrap().is_empty());
        assert_eq!(notes().await, 0);
        s.unblock(blocker, blocked).await.unwrap();
    }
    // One's own post: never a block.
    let own = w.post(liker, Visibility::Public).await;
    s.block(w.id(), author, liker, Timestamp::now())
        .await
        .unwrap();
    assert_eq!(
        s.favourite(w.id(), liker, own, None).await.unwrap(),
        Favourited::New { notified: false }
    );
    s.unblock(author, liker).await.unwrap();

    // A mute that keeps notifications: the like and its notification.
    s.mute(w.id(), author, liker, false, None, Timestamp::now())
        .await
        .unwrap();
    assert_eq!(
        like(post).await.unwrap(),
        Favourited::New { notified: true }
    );
    assert_eq!(notes().await, 1);
    assert_eq!(like(post).await.unwrap(), Favourited::Already);
    assert_eq!(notes().await, 1);
    s.unfavourite(liker, post).await.unwrap();

    // A mute with notifications: the like counts, no notification.
    s.mute(w.id(), author, liker, true, None, Timestamp::now())
        .await
        .unwrap();
    assert_eq!(
        like(post).await.unwrap(),
        Favourited::New { notified: false }
    );
    assert_eq!(w.status(post).await.favourites_count, 1);
    s.unfavourite(liker, post).await.unwrap();
    // Expired, it is not in effect.
    let past = Timestamp::now() - jiff::SignedDuration::from_secs(60);
    s.mute(w.id(), author, liker, true, Some(past), Timestamp::now())
        .await
        .unwrap();
    let later = w.post(author, Visibility::Public).await;
    assert_eq!(
        like(later).await.unwrap(),
        Favourited::New { notified: true }
    );
    assert_eq!(notes().await, 2);
    s.unmute(author, liker).await.unwrap();

    // The author muted the thread: a like of a post in it notifies no one; of another
    // thread, it does.
    let elsewhere = w.post(author, Visibility::Public).await;
    s.mute_conversation(author, post).await.unwrap();
    let mine_in_thread = w.reply(author, reply, Visibility::Public).await;
    assert_eq!(
        like(mine_in_thread).await.unwrap(),
        Favourited::New { notified: false }
    );
    assert_eq!(
        like(elsewhere).await.unwrap(),
        Favourited::New { notified: true }
    );
    assert_eq!(notes().await, 3);

    // The author hides the liker's region.
    let far_region = format!("fr{}", w.tag);
    let far = w.bare_account("farliker", &far_region).await;
    s.block_domain(
        w.id(),
        author,
        "far.example",
        Some(&far_region),
        Timestamp::now(),
    )
    .await
    .unwrap();
    let note = w.notification(author, NotificationType::Favourite, far, Some(elsewhere));
    assert_eq!(
        s.favourite(w.id(), far, elsewhere, Some(&note))
            .await
            .unwrap(),
        Favourited::New { notified: false }
    );
    assert_eq!(notes().await, 3);
    assert_eq!(w.status(elsewhere).await.favourites_count, 2);
}

pub async fn safety_lists_paginate(s: &dyn Store) {
    let w = W::new(s);
    let a = w.account("a").await;
    let mut targets = Vec::new();
    for i in 0..5 {
        let t = w.account(&format!("t{i}")).await;
        s.block(w.id(), a, t, Timestamp::now()).await.unwrap();
        s.mute(w.id(), a, t, true, None, Timestamp::now())
            .await
            .unwrap();
        targets.push(t);
    }
    let newest_first: Vec<Id> = targets.iter().rev().copied().collect();
    let first = s.blocks(a, page(2)).await.unwrap();
    assert_eq!(ids_of(&first), newest_first[..2].to_vec());
    let next = Page {
        max_id: Some(first[1].cursor),
        ..page(2)
    };
    assert_eq!(
        ids_of(&s.blocks(a, next).await.unwrap()),
        newest_first[2..4].to_vec()
    );
    let prev = Page {
        min_id: Some(first[1].cursor),
        ..page(40)
    };
    assert_eq!(
        ids_of(&s.blocks(a, prev).await.unwrap()),
        newest_first[..1].to_vec()
    );
    let mutes = s.mutes(a, page(3)).await.unwrap();
    assert_eq!(
        mutes.iter().map(|m| m.item.target).collect::<Vec<_>>(),
        newest_first[..3].to_vec()
    );
    let next = Page {
        max_id: Some(mutes[2].cursor),
        ..page(3)
    };
    assert_eq!(
        s.mutes(a, next)
            .await
            .unwrap()
            .iter()
            .map(|m| m.item.target)
            .collect::<Vec<_>>(),
        newest_first[3..].to_vec()
    );
}

// ---------------------------------------------------------------------------------------

// Moderation

pub async fn moderation_roles_and_standing(s: &dyn Store) {
    let w = W::new(s);
    let alice = w.account("alice").await;
    let remote = w.bare_account("remy", "elsewhere").await;
    let u = s
        .user_moderation(alice)
        .await
        .unwrap()
        .expect("a local user");
    assert_eq!(u.role, Role::User);
    assert!(u.approved && !u.disabled);
    assert_eq!(u.sign_up_ip.as_deref(), Some("192.0.2.1"));
    assert!(s.user_moderation(remote).await.unwrap().is_none());

    assert!(s.set_role(alice, Role::Moderator).await.unwrap());
    assert!(
        !s.set_role(remote, Role::Admin).await.unwrap(),
        "no user row"
    );
    assert_eq!(
        s.user_moderation(alice).await.unwrap().unwrap().role,
        Role::Moderator
    );
    assert!(s.staff(Role::Moderator).await.unwrap().contains(&alice));
    assert!(!s.staff(Role::Admin).await.unwrap().contains(&alice));

    assert!(s.set_user_standing(alice, Some(false), None).await.unwrap());
    s.set_sign_up_reason(alice, "to moderate").await.unwrap();
    let u = s.user_moderation(alice).await.unwrap().unwrap();
    assert!(!u.approved && !u.disabled);
    assert_eq!(u.sign_up_reason.as_deref(), Some("to moderate"));
    assert!(s
        .set_user_standing(alice, Some(true), Some(true))
        .await
        .unwrap());
    let u = s.user_moderation(alice).await.unwrap().unwrap();
    assert!(u.approved && u.disabled);

    // A pending sign-up is written whole, or not at all.
    let na = w.new_account("pending", &w.region());
    let user = w.user_for(&na);
    let created = s
        .create_pending_account(&na, &user, "let me in")
        .await
        .unwrap();
    assert_eq!(created.id, na.id);
    let u = s.user_moderation(na.id).await.unwrap().unwrap();
    assert!(!u.approved);
    assert_eq!(u.sign_up_reason.as_deref(), Some("let me in"));
    assert!(
        s.findable_account_by_username(&na.username)
            .await
            .unwrap()
            .is_none(),
        "a pending sign-up is not found"
    );
    assert!(s.account_by_username(&na.username).await.unwrap().is_some());
    let mut twin = w.new_account("pending", &w.region());
    twin.username = na.username.clone();
    let twin_user = User {
        email: "other@example.com".into(),
        ..w.user_for(&twin)
    };
    assert!(matches!(
        s.create_pending_account(&twin, &twin_user, "again").await,
        Err(StoreError::Conflict("username"))
    ));
    assert!(s.account(twin.id).await.unwrap().is_none());

    // The live tokens of an account, to end its sessions.
    let app = App {
        id: w.id(),
        name: "mod tests".into(),
        website: None,
        redirect_uris: vec!["urn:ietf:wg:oauth:2.0:oob".into()],
        scopes: "read".into(),
        client_id: w.name("modcid"),
        client_secret: "secret".into(),
        created_at: Timestamp::now(),
    };
    s.create_app(&app).await.unwrap();
    let token = |n: &str, revoked: bool| Token {
        id: w.id(),
        app_id: app.id,
        account_id: Some(alice),
        scopes: "read".into(),
        access_hash: w.name(n),
        refresh_hash: None,
        created_at: Timestamp::now(),
        revoked,
        pending: false,
    };
    let live = token("live", false);
    s.create_token(&live).await.unwrap();
    s.create_token(&token("dead", true)).await.unwrap();
    let got: Vec<Id> = s
        .tokens_of(alice)
        .await
        .unwrap()
        .iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(got, vec![live.id]);
    s.revoke_token(live.id).await.unwrap();
    assert!(s.tokens_of(alice).await.unwrap().is_empty());

    // A pending sign-up's token reads as pending until its user is approved.
    let signup = Token {
        account_id: Some(na.id),
        ..token("signup", false)
    };
    s.create_token(&signup).await.unwrap();
    let read = |hash: String| async move {
        s.token_by_access_hash(&hash)
            .await
            .unwrap()
            .unwrap()
            .pending
    };
    assert!(read(signup.access_hash.clone()).await);
    assert!(s.tokens_of(na.id).await.unwrap()[0].pending);
    let own = token("own", false);
    s.create_token(&own).await.unwrap();
    assert!(!read(own.access_hash.clone()).await, "an approved user's");
    s.set_user_standing(na.id, Some(true), None).await.unwrap();
    assert!(!read(signup.access_hash.clone()).await);
    let found = s.findable_account_by_username(&na.username).await.unwrap();
    assert_eq!(found.map(|a| a.id), Some(na.id), "found once approved");
    s.set_user_standing(na.id, Some(false), None).await.unwrap();

    // A rejected sign-up goes whole.
    assert!(s.delete_account(na.id).await.unwrap());
    assert!(s.account(na.id).await.unwrap().is_none());
    assert!(s.user_moderation(na.id).await.unwrap().is_none());
    assert!(!s.delete_account(na.id).await.unwrap());
}

pub async fn moderation_flags_show_on_every_read(s: &dyn Store) {
    let w = W::new(s);
    let bob = w.account("bob").await;
    // Read first, so a cached row must be dropped by the change.
    assert!(!w.acct(bob).await.suspended);
    let at = Timestamp::now();
    assert!(s
        .set_account_flag(bob, AccountFlag::Suspended, Some(at))
        .await
        .unwrap());
    assert!(s
        .set_account_flag(bob, AccountFlag::Silenced, Some(at))
        .await
        .unwrap());
    let a = w.acct(bob).await;
    assert!(a.suspended && a.silenced);
    assert!(s.accounts(&[bob]).await.unwrap()[0].suspended);
    let rows = s.admin_account_rows(&[bob]).await.unwrap();
    assert!(!rows[0].sensitized);
    s.set_account_flag(bob, AccountFlag::Sensitized, Some(at))
        .await
        .unwrap();
    assert!(s.admin_account_rows(&[bob]).await.unwrap()[0].sensitized);

    let filter = |standing| AdminAccountFilter {
        standing: Some(standing),
        username: Some(w.name("BOB")),
        local_region: w.region(),
        ..Default::default()
    };
    let page = page(40);
    assert_eq!(
        s.admin_accounts(&filter(AccountStanding::Suspended), page)
            .await
            .unwrap(),
        vec![bob]
    );
    assert!(s
        .admin_accounts(&filter(AccountStanding::Active), page)
        .await
        .unwrap()
        .is_empty());

    s.set_account_flag(bob, AccountFlag::Suspended, None)
        .await
        .unwrap();
    let a = w.acct(bob).await;
    assert!(!a.suspended && a.silenced);
    assert_eq!(
        s.admin_accounts(&filter(AccountStanding::Active), page)
            .await
            .unwrap(),
        vec![bob]
    );
    assert!(!s
        .set_account_flag(w.id(), AccountFlag::Suspended, Some(at))
        .await
        .unwrap());
}

pub async fn moderation_reports(s: &dyn Store) {
    let w = W::new(s);
    let alice = w.account("alice").await;
    let bob = w.account("bob").await;
    let mod_ = w.account("mod").await;
    let p1 = w.post(bob, Visibility::Public).await;
    let p2 = w.post(bob, Visibility::Public).await;
    let at = at(T0);
    let report = Report {
        id: w.id(),
        account_id: Some(alice),
        target_account_id: bob,
        category: ReportCategory::Spam,
        comment: "spam".into(),
        rule_ids: vec!["1".into(), "2".into()],
        status_ids: vec![p1, p2],
        forwarded: false,
        origin_region: None,
        assigned_account_id: None,
        action_taken_by: None,
        action_taken_at: None,
        created_at: at,
        updated_at: at,
    };
    s.create_report(&report).await.unwrap();
    let anonymous = Report {
        id: w.id(),
        account_id: None,
        origin_region: Some("elsewhere".into()),
        status_ids: vec![],
        rule_ids: vec![],
        forwarded: true,
        ..report.clone()
    };
    s.create_report(&anonymous).await.unwrap();
    assert_eq!(s.report(report.id).await.unwrap(), Some(report.clone()));
    assert_eq!(
        s.report(anonymous.id).await.unwrap(),
        Some(anonymous.clone())
    );

    let by_target = ReportFilter {
        target_account_id: Some(bob),
        ..Default::default()
    };
    let got: Vec<Id> = s
        .reports(&by_target, page(10))
        .await
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(got, vec![anonymous.id, report.id], "newest first");

    let mut resolved = report.clone();
    resolved.assigned_account_id = Some(mod_);
    resolved.action_taken_by = Some(mod_);
    resolved.action_taken_at = Some(at);
    assert!(s.update_report(&resolved).await.unwrap());
    let open = ReportFilter {
        resolved: Some(false),
        ..by_target.clone()
    };
    let done = ReportFilter {
        resolved: Some(true),
        ..by_target.clone()
    };
    let ids = |v: Vec<Report>| v.iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(
        ids(s.reports(&open, page(10)).await.unwrap()),
        vec![anonymous.id]
    );
    assert_eq!(
        ids(s.reports(&done, page(10)).await.unwrap()),
        vec![report.id]
    );
    let by_reporter = ReportFilter {
        account_id: Some(alice),
        ..Default::default()
    };
    assert_eq!(
        ids(s.reports(&by_reporter, page(10)).await.unwrap()),
        vec![report.id]
    );
    assert_eq!(
        s.report(report.id)
            .await
            .unwrap()
            .unwrap()
            .assigned_account_id,
        Some(mod_)
    );
}

pub async fn moderation_domain_blocks(s: &dyn Store) {
    let w = W::new(s);
    let domain = format!("{}.example", w.tag);
    let b = DomainBlock {
        id: w.id(),
        domain: domain.clone(),
        severity: DomainSeverity::Suspend,
        reject_media: false,
        reject_reports: true,
        private_comment: Some("why".into()),
        public_comment: None,
        obfuscate: false,
        created_at: at(T0),
    };
    s.create_domain_block(&b).await.unwrap();
    assert!(s.domain_blocks().await.unwrap().contains(&b));
    let again = DomainBlock {
        id: w.id(),
        ..b.clone()
    };
    assert!(matches!(
        s.create_domain_block(&again).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(s.delete_domain_block(b.id).await.unwrap());
    assert!(!s.delete_domain_block(b.id).await.unwrap());
    assert!(!s
        .domain_blocks()
        .await
        .unwrap()
        .iter()
        .any(|x| x.domain == domain));
}

// ---------------------------------------------------------------------------------------
// Search, trends and suggestions (`DiscoveryStore`)

mod discovery;
pub use discovery::*;

// The audit's inventory scan.
mod inventory;
pub use inventory::*;
