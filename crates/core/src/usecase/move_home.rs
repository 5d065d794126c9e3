//! Moving home (issue 15): a user takes their account to another region of the cluster.
//! At the old home: the user asks (their current password confirms it) or the operator
//! does (`roost admin move-account`); the whole account goes to the new home in one
//! transfer (`Remote::send_move`, the only transfer that carries identity data), which
//! answers with the new IDs; the old home keeps them as the forwarding record, points its
//! own users' follows at the new account, and erases the account as an erasure does,
//! telling every region that holds anything of it where it went
//! (`Outbound::Erased { moved_to }`). At the new home: `receive_move` creates the account
//! under IDs of its own, with its posts, and follows again whom it followed. Elsewhere:
//! `receive_moved_erasure` repoints the local followers, then forgets the old account.

use super::{now, Roost};
use crate::id::Id;
use crate::media::MediaRole;
use crate::model::*;
use crate::store::StoreError;
use crate::{text, CoreError, CoreResult};
use jiff::Timestamp;
use std::collections::HashMap;

/// Follows and posts read at once.
const PAGE: u32 = 40;

impl Roost {
    /// The user moves their own account to `region`; `password` is their current one.
    pub async fn move_own_account(
        &self,
        account: &Account,
        password: &str,
        region: &str,
    ) -> CoreResult<Forward> {
        self.confirm_password(account, password).await?;
        self.move_local_account(account, region).await
    }

    /// `roost admin move-account USERNAME REGION`.
    pub async fn admin_move_account(&self, username: &str, region: &str) -> CoreResult<Forward> {
        let account = self
            .store
            .account_by_username(username)
            .await?
            .filter(|a| self.is_local(a))
            .ok_or(CoreError::NotFound("account"))?;
        self.move_local_account(&account, region).await
    }

    async fn move_local_account(&self, account: &Account, region: &str) -> CoreResult<Forward> {
        let region = region.trim();
        if region.is_empty() {
            return Err(CoreError::Validation(
                "Validation failed: Region can't be blank".into(),
            ));
        }
        if region == self.cfg.region {
            return Err(CoreError::Validation(
                "The account already lives in this region".into(),
            ));
        }
        if self.cfg.cluster.region(region).is_none() {
            return Err(CoreError::Validation(format!("Unknown region {region}")));
        }
        if !self.store.begin_move(account.id, region, now()).await? {
            return Err(CoreError::Conflict(
                "A move of this account is already running".into(),
            ));
        }
        let ack = match self.hand_over(account, region).await {
            Ok(ack) => ack,
            Err(e) => {
                // The new home did not take it: nothing changed here.
                self.store.abandon_move(account.id).await?;
                return Err(e);
            }
        };
        self.store
            .finish_move(account.id, ack.account_id, &ack.statuses, now())
            .await?;
        self.leave_old_home(account, ack.account_id, region).await?;
        Ok(Forward {
            region: region.to_string(),
            new_id: ack.account_id,
            status: false,
            base_url: String::new(),
        })
    }

    /// The new home holds the account: this region's followers follow the new account,
    /// then the old one goes.
    async fn leave_old_home(&self, account: &Account, new_id: Id, region: &str) -> CoreResult<()> {
        self.repoint_followers(account.id, new_id).await?;
        self.erase_local_account_to(account, Some((new_id, region.to_string())))
            .await?;
        Ok(())
    }

    /// Finishes the moves a stopped region left begun before `started_before` (the
    /// server's job passes a time well past any move still running on a live node). A
    /// move whose answer never came is handed over again, which the new home answers
    /// as it did the first time if it took the account; one the new home answered is
    /// finished here. While the new home cannot be reached the move stays running (we
    /// cannot know whether it took the account) and is tried again next time; a refusal
    /// abandons it, as it would have at the time. Returns how many were finished.
    pub async fn resume_unfinished_moves(&self, started_before: Timestamp) -> CoreResult<usize> {
        let mut finished = 0;
        for m in self.store.unfinished_moves(started_before).await? {
            let Some(account) = self.store.account(m.account).await? else {
                continue;
            };
            let new_id = match m.new_id {
                Some(id) => id,
                None => match self.hand_over(&account, &m.region).await {
                    Ok(ack) => {
                        self.store
                            .finish_move(account.id, ack.account_id, &ack.statuses, now())
                            .await?;
                        ack.account_id
                    }
                    Err(CoreError::Unavailable(e)) => {
                        tracing::warn!(account = %account.id, region = m.region, error = e,
                            "an unfinished move waits for its new home");
                        continue;
                    }
                    Err(e) => {
                        tracing::warn!(account = %account.id, region = m.region, error = %e,
                            "an unfinished move was refused by its new home; abandoned");
                        self.store.abandon_move(account.id).await?;
                        continue;
                    }
                },
            };
            self.leave_old_home(&account, new_id, &m.region).await?;
            tracing::info!(account = %account.id, region = m.region, "an unfinished move finished");
            finished += 1;
        }
        Ok(finished)
    }

    /// Everything of the account, sent to its new home; the home's answer.
    async fn hand_over(&self, account: &Account, region: &str) -> CoreResult<MoveAck> {
        let user = self
            .store
            .user(account.id)
            .await?
            .ok_or(CoreError::NotFound("account"))?;
        let package = MovePackage {
            old_id: account.id,
            username: account.username.clone(),
            display_name: account.display_name.clone(),
            note_source: account.note_source.clone(),
            locked: account.locked,
            bot: account.bot,
            discoverable: account.discoverable,
            created_at_ms: account.created_at.as_millisecond(),
            email: user.email,
            password_hash: user.password_hash,
            locale: user.locale,
            statuses: self.posts_to_move(account).await?,
            following: self.all_following(account.id).await?,
            favourites: self
                .all_cursored(account.id, Engagement::Favourites)
                .await?,
            bookmarks: self.all_cursored(account.id, Engagement::Bookmarks).await?,
            reblogs: self.reblogged(account).await?,
            fields: account
                .fields
                .iter()
                .map(|f| (f.name.clone(), f.value_source.clone()))
                .collect(),
            avatar: picture_hash(account.avatar.as_deref()),
            header: picture_hash(account.header.as_deref()),
            lists: self.lists_to_move(account.id).await?,
            notifications: self.notifications_to_move(account.id).await?,
            filters: self
                .store
                .filters_of(account.id)
                .await?
                .into_iter()
                .map(|f| MovedFilter {
                    title: f.title,
                    context: f.context.iter().map(|c| c.as_str().to_string()).collect(),
                    action: f.action.as_str().to_string(),
                    expires_at_ms: f.expires_at.map(|t| t.as_millisecond()),
                    keywords: f
                        .keywords
                        .into_iter()
                        .map(|k| (k.keyword, k.whole_word))
                        .collect(),
                    statuses: f.statuses.into_iter().map(|s| s.status_id).collect(),
                })
                .collect(),
        };
        let ack = self.remote.send_move(region, &package).await?;
        if self.region_of(ack.account_id) != Some(region) {
            return Err(CoreError::Unavailable(
                "the new region answered with an ID it did not mint".into(),
            ));
        }
        Ok(ack)
    }

    /// The account's own posts (no reblogs), oldest first.
    async fn posts_to_move(&self, account: &Account) -> CoreResult<Vec<MovedPost>> {
        let filter = AccountStatusFilter {
            exclude_reblogs: true,
            ..Default::default()
        };
        let mut ids = Vec::new();
        let mut max_id = None;
        loop {
            let page = self
                .store
                .account_statuses(account.id, Some(account.id), &filter, page(max_id))
                .await?;
            max_id = page.last().copied();
            let done = page.len() < PAGE as usize;
            ids.extend(page);
            if done {
                break;
            }
        }
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(PAGE as usize) {
            for s in self.store.statuses(chunk).await? {
                if s.reblog_of_id.is_some() {
                    continue;
                }
                out.push(s);
            }
        }
        out.sort_by_key(|s| s.id);
        let own: std::collections::HashSet<Id> = out.iter().map(|s| s.id).collect();
        let mut files: HashMap<Id, Vec<MovedFile>> = HashMap::new();
        let all: Vec<Id> = own.iter().copied().collect();
        for chunk in all.chunks(PAGE as usize) {
            let mut media = self.store.status_media(chunk).await?;
            media.sort_by_key(|m| m.position);
            for m in media {
                let (Some(status), Some(file)) = (m.status_id, &m.file) else {
                    continue;
                };
                files.entry(status).or_default().push(MovedFile {
                    old_id: m.id,
                    sha256: file.hash.clone(),
                    description: m.description.clone(),
                    focus: m.focus,
                });
            }
        }
        let mut polls: HashMap<Id, MovedPoll> = HashMap::new();
        for chunk in all.chunks(PAGE as usize) {
            for p in self.store.polls(chunk, None).await? {
                polls.insert(
                    p.status_id,
                    MovedPoll {
                        options: p.options,
                        votes: p.votes,
                        voters_count: p.voters_count,
                        multiple: p.multiple,
                        hide_totals: p.hide_totals,
                        expires_at_ms: p.expires_at.as_millisecond(),
                    },
                );
            }
        }
        let mut histories: HashMap<Id, Vec<MovedRevision>> = HashMap::new();
        for s in out.iter().filter(|s| s.edited_at.is_some()) {
            let versions = self.store.history(s.id).await?;
            let moved = versions
                .into_iter()
                .map(|v| MovedRevision {
                    content_html: v.content_html,
                    spoiler_text: v.spoiler_text,
                    sensitive: v.sensitive,
                    created_at_ms: v.created_at.as_millisecond(),
                })
                .collect();
            histories.insert(s.id, moved);
        }
        Ok(out
            .into_iter()
            .map(|s| MovedPost {
                media: files.remove(&s.id).unwrap_or_default(),
                history: histories.remove(&s.id).unwrap_or_default(),
                poll: polls.remove(&s.id),
                old_id: s.id,
                // A bare `@dewi` means this region's Dewi; the new home would read it as
                // its own.
                text: text::qualify_mentions(&s.text, &self.cfg.domain),
                spoiler_text: s.spoiler_text,
                visibility: s.visibility.as_str().to_string(),
                sensitive: s.sensitive,
                language: s.language,
                in_reply_to_id: s.in_reply_to_id,
                quote_of_id: s.quote_of_id,
                created_at_ms: s.created_at.as_millisecond(),
            })
            .collect())
    }

    /// The account's notifications, oldest first; moderators' ones stay (roles do not
    /// move).
    async fn notifications_to_move(&self, account: Id) -> CoreResult<Vec<MovedNotification>> {
        let mut out = Vec::new();
        let mut max_id = None;
        loop {
            let rows = self
                .store
                .notifications(account, &NotificationFilter::default(), page(max_id))
                .await?;
            max_id = rows.last().map(|n| n.id);
            let done = rows.len() < PAGE as usize;
            out.extend(
                rows.into_iter()
                    .filter(|n| {
                        !matches!(
                            n.kind,
                            NotificationType::AdminSignUp | NotificationType::AdminReport
                        )
                    })
                    .map(|n| MovedNotification {
                        kind: n.kind.as_str().to_string(),
                        from: n.from_account_id,
                        status: n.status_id,
                        created_at_ms: n.created_at.as_millisecond(),
                    }),
            );
            if done {
                break;
            }
        }
        out.reverse();
        Ok(out)
    }

    /// Notifications kept again here, at their old times: only those whose account and
    /// post this region holds (a notification is a row of its own, naming them). The
    /// store skips one it already has, so a repeated package adds nothing.
    async fn notifications_again(
        &self,
        me: Id,
        p: &MovePackage,
        here: impl Fn(&Id) -> Id,
    ) -> CoreResult<()> {
        let mut froms: Vec<Id> = p.notifications.iter().map(|n| n.from).collect();
        froms.sort_unstable();
        froms.dedup();
        let mut known = std::collections::HashSet::new();
        for chunk in froms.chunks(PAGE as usize) {
            known.extend(self.store.accounts(chunk).await?.into_iter().map(|a| a.id));
        }
        let mut posts: Vec<Id> = p
            .notifications
            .iter()
            .filter_map(|n| n.status.as_ref().map(&here))
            .collect();
        posts.sort_unstable();
        posts.dedup();
        let mut held = std::collections::HashSet::new();
        for chunk in posts.chunks(PAGE as usize) {
            held.extend(self.store.statuses(chunk).await?.into_iter().map(|s| s.id));
        }
        let mut items = Vec::new();
        for n in &p.notifications {
            let Some(kind) = NotificationType::parse(&n.kind) else {
                continue;
            };
            let status = n.status.as_ref().map(&here);
            if !known.contains(&n.from) || status.is_some_and(|s| !held.contains(&s)) {
                continue;
            }
            items.push(Notification {
                // Minted now, oldest first: they stay in their order, below what comes next.
                id: self.next_id()?,
                account_id: me,
                kind,
                from_account_id: n.from,
                status_id: status,
                created_at: Timestamp::from_millisecond(n.created_at_ms).unwrap_or_else(|_| now()),
            });
        }
        for chunk in items.chunks(PAGE as usize) {
            self.store.create_notifications(chunk).await?;
        }
        Ok(())
    }

    /// The account's lists with all their members.
    async fn lists_to_move(&self, account: Id) -> CoreResult<Vec<MovedList>> {
        let mut out = Vec::new();
        for l in self.store.lists_of(account).await? {
            let mut members = Vec::new();
            let mut max_id = None;
            loop {
                let rows = self.store.list_members(l.id, page(max_id)).await?;
                max_id = rows.last().map(|r| r.cursor);
                let done = rows.len() < PAGE as usize;
                members.extend(rows.into_iter().map(|r| r.item));
                if done {
                    break;
                }
            }
            out.push(MovedList {
                title: l.title,
                replies_policy: l.replies_policy.as_str().to_string(),
                exclusive: l.exclusive,
                members,
            });
        }
        Ok(out)
    }

    /// Lists and filters made again here, after the follows (a list holds accounts this
    /// region knows). On a repeated package one of the same title is the one made then.
    async fn lists_and_filters_again(
        &self,
        account: &Account,
        p: &MovePackage,
        here: impl Fn(&Id) -> Id,
    ) -> CoreResult<()> {
        let me = account.id;
        let lists = self.store.lists_of(me).await?;
        for l in &p.lists {
            let list = match lists.iter().find(|x| x.title == l.title) {
                Some(x) => x.id,
                None => match self
                    .create_list(
                        me,
                        Some(&l.title),
                        Some(&l.replies_policy),
                        Some(l.exclusive),
                    )
                    .await
                {
                    Ok(made) => made.id,
                    Err(e) => {
                        tracing::warn!(error = %e, "a moved list was left out");
                        continue;
                    }
                },
            };
            // One at a time: a member already there (a repeat) or unknown here is skipped.
            for m in &l.members {
                if let Err(e) = self.add_list_accounts(me, list, &[*m]).await {
                    tracing::debug!(member = %m, error = %e, "a moved list member was left out");
                }
            }
        }
        let filters = self.store.filters_of(me).await?;
        for f in &p.filters {
            if filters.iter().any(|x| x.title == f.title) {
                continue;
            }
            let expires_in = match f.expires_at_ms {
                None => None,
                Some(at) => {
                    let left = (at - now().as_millisecond()) / 1000;
                    if left <= 0 {
                        continue;
                    }
                    Some(left as u64)
                }
            };
            let input = super::FilterInput {
                title: Some(f.title.clone()),
                context: Some(f.context.clone()),
                action: Some(f.action.clone()),
                expires_in: Some(expires_in),
                keywords: f
                    .keywords
                    .iter()
                    .map(|(k, whole)| super::KeywordChange {
                        id: None,
                        keyword: Some(k.clone()),
                        whole_word: Some(*whole),
                        destroy: false,
                    })
                    .collect(),
            };
            let made = match self.create_filter(me, input).await {
                Ok(made) => made,
                Err(e) => {
                    tracing::warn!(error = %e, "a moved filter was left out");
                    continue;
                }
            };
            for s in &f.statuses {
                if let Err(e) = self.add_filter_status(me, made.id, here(s)).await {
                    tracing::debug!(status = %s, error = %e, "a moved filtered post was left out");
                }
            }
        }
        Ok(())
    }

    async fn all_following(&self, account: Id) -> CoreResult<Vec<Id>> {
        self.all_cursored(account, Engagement::Following).await
    }

    /// Everything of one kind the account did, newest first.
    async fn all_cursored(&self, account: Id, kind: Engagement) -> CoreResult<Vec<Id>> {
        let mut out = Vec::new();
        let mut max_id = None;
        loop {
            let rows = match kind {
                Engagement::Following => self.store.following(account, page(max_id)).await?,
                Engagement::Favourites => self.store.favourites_of(account, page(max_id)).await?,
                Engagement::Bookmarks => self.store.bookmarks_of(account, page(max_id)).await?,
            };
            max_id = rows.last().map(|r| r.cursor);
            let done = rows.len() < PAGE as usize;
            out.extend(rows.into_iter().map(|r| r.item));
            if done {
                return Ok(out);
            }
        }
    }

    /// The posts the account reblogged, oldest reblog first.
    async fn reblogged(&self, account: &Account) -> CoreResult<Vec<Id>> {
        let mut ids = Vec::new();
        let mut max_id = None;
        loop {
            let page = self
                .store
                .account_statuses(
                    account.id,
                    Some(account.id),
                    &AccountStatusFilter::default(),
                    page(max_id),
                )
                .await?;
            max_id = page.last().copied();
            let done = page.len() < PAGE as usize;
            ids.extend(page);
            if done {
                break;
            }
        }
        let mut out = Vec::new();
        for chunk in ids.chunks(PAGE as usize) {
            out.extend(self.store.statuses(chunk).await?);
        }
        out.sort_by_key(|s| s.id);
        Ok(out.into_iter().filter_map(|s| s.reblog_of_id).collect())
    }

    /// Every local follower of `old` follows `new` (here or in its region, through the
    /// usual follow). One that cannot (a block, the policy) is left out, not the move.
    async fn repoint_followers(&self, old: Id, new: Id) -> CoreResult<()> {
        let mut followers = Vec::new();
        let mut max_id = None;
        loop {
            let rows = self.store.followers(old, page(max_id)).await?;
            max_id = rows.last().map(|r| r.cursor);
            let done = rows.len() < PAGE as usize;
            followers.extend(rows.into_iter().map(|r| r.item));
            if done {
                break;
            }
        }
        for chunk in followers.chunks(PAGE as usize) {
            for f in self.store.accounts(chunk).await? {
                if !self.is_local(&f) {
                    continue;
                }
                if let Err(e) = self.follow(&f, new, None, None).await {
                    tracing::warn!(follower = %f.id, error = %e, "a follower could not follow the moved account");
                }
            }
        }
        Ok(())
    }

    /// A user of `origin` moves here: the account under a new ID of this region, its
    /// password (so they sign in here), its posts and its follows. Tokens do not come.
    /// A repeated package (the answer to an earlier one was lost, and the old home asks
    /// again) finds the account it made then and brings it up to date: nothing twice, and
    /// the same answer for what it already held.
    pub async fn receive_move(&self, origin: &str, p: MovePackage) -> CoreResult<MoveAck> {
        if self.region_of(p.old_id) != Some(origin) {
            return Err(CoreError::Forbidden(
                "a region can only move its own accounts".into(),
            ));
        }
        for post in &p.statuses {
            if let Some(poll) = &post.poll {
                check_moved_poll(poll)?;
            }
        }
        let earlier = self.store.moved_in(p.old_id).await?;
        let id = match &earlier {
            Some(m) if m.origin == origin => m.account_id,
            Some(_) => {
                return Err(CoreError::Forbidden(
                    "a region can only move its own accounts".into(),
                ))
            }
            None => self.create_moved_account(origin, &p).await?,
        };
        let note_html = self.render_text(&p.note_source).await?;
        let account = self
            .store
            .update_profile(
                id,
                &ProfileUpdate {
                    display_name: Some(p.display_name.clone()),
                    note_source: Some(p.note_source.clone()),
                    note_html: Some(note_html),
                    locked: Some(p.locked),
                    bot: Some(p.bot),
                    discoverable: Some(p.discoverable),
                },
            )
            .await?;
        let account = self.set_profile_fields(&account, p.fields.clone()).await?;
        for (role, hash) in [
            (MediaRole::Avatar, &p.avatar),
            (MediaRole::Header, &p.header),
        ] {
            let Some(hash) = hash else { continue };
            let made = match role {
                MediaRole::Avatar => account.avatar.is_some(),
                _ => account.header.is_some(),
            };
            // On a repeat the picture made then stays (processing here changed its bytes).
            if made {
                continue;
            }
            let bytes = self
                .remote
                .fetch_move_picture(origin, p.old_id, role, hash)
                .await?;
            self.set_profile_picture(&account, role, bytes).await?;
        }
        let mut mapped: HashMap<Id, Id> = HashMap::new();
        let mut statuses = Vec::with_capacity(p.statuses.len());
        for post in &p.statuses {
            // The ID is kept before the post is written: a repeat finds it, and a post
            // already here is not written again.
            let minted = self.moved_id(post.old_id).await?;
            let new_id = self
                .store
                .keep_moved_status(p.old_id, post.old_id, minted)
                .await?;
            mapped.insert(post.old_id, new_id);
            statuses.push((post.old_id, new_id));
            // A repeat may find the post written in part, if this region stopped while
            // writing it (versions are written before its files are attached): what is
            // missing is written now.
            let (versions, files) = match self.store.status(new_id).await? {
                None => (0, 0),
                Some(_) => (
                    self.store.history(new_id).await?.len().max(1),
                    self.store.status_media(&[new_id]).await?.len(),
                ),
            };
            let written = versions > 0;
            if written && versions >= post.history.len() && files >= post.media.len() {
                self.carry_moved_poll(new_id, post).await?;
                continue;
            }
            let visibility = Visibility::parse(&post.visibility).unwrap_or(Visibility::Private);
            let parent = self.moved_link(&mapped, id, post.in_reply_to_id).await?;
            let quoted = self.moved_link(&mapped, id, post.quote_of_id).await?;
            // Whom it mentions, as a new post's mentions are found: a direct post is seen
            // by them alone.
            let parsed = text::parse(&post.text);
            let (mentioned, _) = self.resolve_mentions(&parsed).await?;
            let new = NewStatus {
                id: new_id,
                account_id: id,
                text: post.text.clone(),
                content_html: self.render_text(&post.text).await?,
                spoiler_text: post.spoiler_text.clone(),
                visibility,
                sensitive: post.sensitive,
                language: post.language.clone(),
                in_reply_to_id: parent.map(|(s, _)| s),
                in_reply_to_account_id: parent.map(|(_, a)| a),
                reblog_of_id: None,
                quote_of_id: quoted.map(|(s, _)| s),
                created_at: Timestamp::from_millisecond(post.created_at_ms)
                    .unwrap_or_else(|_| now()),
                mentions: mentioned.iter().map(|a| a.id).collect(),
                tags: parsed.tags,
                idempotency_key: None,
            };
            // Files first: each fetched from the old home (recorded at both ends) and
            // processed here as an upload is, then attached to the new post.
            let mut uploads = Vec::with_capacity(post.media.len());
            let attached = files >= post.media.len();
            for f in post.media.iter().filter(|_| !attached) {
                let bytes = self
                    .remote
                    .fetch_move_file(origin, p.old_id, f.old_id, &f.sha256)
                    .await?;
                let up = super::media::Upload {
                    bytes,
                    description: Some(f.description.clone()),
                    focus: Some(format!("{},{}", f.focus.0, f.focus.1)),
                };
                uploads.push(self.upload_media(&account, up, None).await?.attachment.id);
            }
            match post.history.as_slice() {
                [first, .., _] => {
                    // Edited: written as it first read, then each later version as an
                    // edit at its own time, so the history reads as it did. Only the
                    // current version's source is kept (as at the old home).
                    let mut original = new.clone();
                    original.content_html = first.content_html.clone();
                    original.spoiler_text = first.spoiler_text.clone();
                    original.sensitive = first.sensitive;
                    if !written {
                        self.create_moved_status(&original, post).await?;
                    }
                    let later = &post.history[1..];
                    let done = versions.saturating_sub(1);
                    for (i, v) in later.iter().enumerate().skip(done) {
                        let current = i + 1 == later.len();
                        let edit = StatusEdit {
                            text: new.text.clone(),
                            content_html: if current {
                                new.content_html.clone()
                            } else {
                                v.content_html.clone()
                            },
                            spoiler_text: v.spoiler_text.clone(),
                            sensitive: v.sensitive,
                            language: new.language.clone(),
                            mentions: new.mentions.clone(),
                            tags: new.tags.clone(),
                            edited_at: Timestamp::from_millisecond(v.created_at_ms)
                                .unwrap_or_else(|_| now()),
                        };
                        self.store.edit_status(new_id, &edit).await?;
                    }
                }
                _ if !written => {
                    self.create_moved_status(&new, post).await?;
                }
                _ => {}
            }
            self.carry_moved_poll(new_id, post).await?;
            if !uploads.is_empty() {
                self.attach(new_id, &account, &uploads).await?;
            }
            self.search_touch(new_id);
        }
        // A repeat: a post the first package brought and this one does not was deleted
        // at the old home in between, so it goes here too.
        if let Some(m) = &earlier {
            let sent: std::collections::HashSet<Id> = p.statuses.iter().map(|s| s.old_id).collect();
            for (old, new) in &m.statuses {
                if sent.contains(old) {
                    continue;
                }
                match self.delete_status(*new, &account).await {
                    Ok(_) | Err(CoreError::NotFound(_)) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        // What it did to posts, again from here: its own posts under their new IDs; one
        // this region cannot see is left out.
        let here = |id: &Id| mapped.get(id).copied().unwrap_or(*id);
        for s in p.favourites.iter().rev() {
            if let Err(e) = self.favourite(here(s), &account).await {
                tracing::warn!(status = %s, error = %e, "a moved like was left out");
            }
        }
        for s in p.bookmarks.iter().rev() {
            if let Err(e) = self.bookmark(here(s), &account).await {
                tracing::warn!(status = %s, error = %e, "a moved bookmark was left out");
            }
        }
        for s in &p.reblogs {
            if let Err(e) = self.reblog(here(s), &account, None).await {
                tracing::warn!(status = %s, error = %e, "a moved reblog was left out");
            }
        }
        for target in &p.following {
            if *target == p.old_id {
                continue;
            }
            if let Err(e) = self.follow(&account, *target, None, None).await {
                tracing::warn!(target = %target, error = %e, "a moved account could not follow again");
            }
        }
        self.lists_and_filters_again(&account, &p, here).await?;
        self.notifications_again(id, &p, here).await?;
        Ok(MoveAck {
            account_id: id,
            statuses,
        })
    }

    /// What a moved post replies to or quotes, here, with its author: the account's own
    /// post under its new ID, or another's post this region holds. One it does not hold
    /// is left out (the store keeps no link to nothing).
    async fn moved_link(
        &self,
        mapped: &HashMap<Id, Id>,
        account: Id,
        target: Option<Id>,
    ) -> CoreResult<Option<(Id, Id)>> {
        let Some(target) = target else {
            return Ok(None);
        };
        if let Some(new) = mapped.get(&target) {
            return Ok(Some((*new, account)));
        }
        let held = self.store.status(target).await?;
        if held.is_none() {
            tracing::info!(status = %target, "a moved post's link to a post not held here was left out");
        }
        Ok(held.map(|s| (s.id, s.account_id)))
    }

    /// A moved post as it first read, with its poll if it has one.
    async fn create_moved_status(&self, new: &NewStatus, post: &MovedPost) -> CoreResult<()> {
        match &post.poll {
            Some(p) => {
                let poll = NewPoll {
                    options: p.options.clone(),
                    expires_at: Timestamp::from_millisecond(p.expires_at_ms)
                        .unwrap_or_else(|_| now()),
                    multiple: p.multiple,
                    hide_totals: p.hide_totals,
                };
                self.store.create_status_with_poll(new, &poll).await?;
            }
            None => {
                self.store.create_status(new).await?;
            }
        }
        Ok(())
    }

    /// A moved poll's votes, as the old home counted them; one that ended there is not
    /// announced again here. Safe to repeat.
    async fn carry_moved_poll(&self, status: Id, post: &MovedPost) -> CoreResult<()> {
        let Some(p) = &post.poll else {
            return Ok(());
        };
        self.store
            .carry_poll_votes(status, &p.votes, p.voters_count)
            .await?;
        if p.expires_at_ms <= now().as_millisecond() {
            self.store.finish_poll(status, &[]).await?;
        }
        Ok(())
    }

    /// The moved account's first arrival: a new local account, recorded as `p.old_id`.
    async fn create_moved_account(&self, origin: &str, p: &MovePackage) -> CoreResult<Id> {
        let id = self.next_id()?;
        let created_at = Timestamp::from_millisecond(p.created_at_ms).unwrap_or_else(|_| now());
        let new = NewAccount {
            id,
            username: p.username.clone(),
            home_region: self.cfg.region.clone(),
            display_name: p.display_name.clone(),
            created_at,
        };
        let user = User {
            account_id: id,
            email: p.email.clone(),
            password_hash: p.password_hash.clone(),
            locale: p.locale.clone(),
            created_at,
            sign_up_ip: None,
        };
        match self
            .store
            .create_moved_account(&new, &user, origin, p.old_id, now())
            .await
        {
            Ok(_) => Ok(id),
            Err(StoreError::Conflict(what)) => Err(CoreError::Conflict(format!(
                "The {what} is already taken in region {}",
                self.cfg.region
            ))),
            Err(e) => Err(e.into()),
        }
    }

    /// The avatar or header of a local account moving to `region`, for that region while
    /// the move runs.
    pub async fn moving_picture(
        &self,
        region: &str,
        account: Id,
        role: MediaRole,
    ) -> CoreResult<Vec<u8>> {
        if self.store.running_move(account).await?.as_deref() != Some(region) {
            return Err(CoreError::NotFound("media"));
        }
        self.profile_picture_for_region(account, role).await
    }

    /// A file of a local account moving to `region`, for that region while the move runs.
    pub async fn moving_file(
        &self,
        region: &str,
        media: Id,
    ) -> CoreResult<(crate::media::MediaAttachment, Vec<u8>)> {
        let m = self
            .store
            .media(media)
            .await?
            .ok_or(CoreError::NotFound("media"))?;
        if self.store.running_move(m.account_id).await?.as_deref() != Some(region) {
            return Err(CoreError::NotFound("media"));
        }
        let hash = m
            .file
            .as_ref()
            .map(|f| f.hash.clone())
            .ok_or(CoreError::NotFound("media"))?;
        let bytes = self
            .blob(&hash)
            .await?
            .ok_or(CoreError::NotFound("media"))?;
        Ok((m, bytes))
    }

    /// A moved post's ID here: minted by this region at the post's own time, so timelines
    /// keep it where it was; the old sequence bits, moved on if that ID is taken.
    async fn moved_id(&self, old: Id) -> CoreResult<Id> {
        let region = self.ids.region();
        let seq = (old.0 & 0xfff) as u16;
        for n in 0..4096u16 {
            let id = Id::from_parts(old.unix_ms(), region, seq.wrapping_add(n) & 0xfff);
            if self.store.status(id).await?.is_none() {
                return Ok(id);
            }
        }
        self.next_id()
    }

    /// Another region's user moved from there to `new`: local followers follow the new
    /// account, then everything kept of the old one goes (as for an erasure).
    pub async fn receive_moved_erasure(&self, old: Id, new: Id, home: &str) -> CoreResult<()> {
        if !self.is_foreign_id(old) {
            return Err(CoreError::Forbidden(
                "a region cannot speak for this region's accounts".into(),
            ));
        }
        if let Some(was) = self.store.account(old).await? {
            // The new account is asked of its own region, and must carry the handle: the
            // old home alone cannot send its followers to someone else.
            match self.account_or_404(new).await {
                Ok(now) if now.username.eq_ignore_ascii_case(&was.username) => {
                    self.repoint_followers(old, new).await?;
                }
                Ok(_) => {
                    tracing::warn!(%old, %new, "a move named an account of another handle; followers not repointed")
                }
                Err(e) => {
                    tracing::warn!(%old, %new, error = %e, "the moved account could not be read; followers not repointed")
                }
            }
        }
        self.receive_erasure(old, home).await
    }

    /// Where a record minted here that moved with its account lives now, as an error
    /// (`Moved`), or `NotFound(what)`.
    pub(crate) async fn moved_or_404(&self, id: Id, what: &'static str) -> CoreError {
        if self.is_foreign_id(id) {
            return CoreError::NotFound(what);
        }
        match self.store.forward(id).await {
            Ok(Some(mut f)) if f.status == (what == "status") => {
                f.base_url = self
                    .cfg
                    .cluster
                    .region(&f.region)
                    .map(|r| r.base_url.clone())
                    .unwrap_or_default();
                CoreError::Moved(f)
            }
            Ok(_) => CoreError::NotFound(what),
            Err(e) => e.into(),
        }
    }
}

/// While its move runs, an account may read but not write: the package is being read,
/// and what it wrote now would not reach its new home. 409: the request is sound, the
/// account's state is what refuses it, and it passes once the move ends (or is given up).
/// A moved poll as the new home can keep it: options, a count for each, none negative.
/// Checked for the whole package before anything is written.
fn check_moved_poll(p: &MovedPoll) -> CoreResult<()> {
    let counts_fit =
        p.votes.len() == p.options.len() && p.votes.iter().all(|v| *v >= 0) && p.voters_count >= 0;
    if p.options.is_empty() || !counts_fit {
        return Err(CoreError::Validation(
            "Validation failed: a moved poll's votes do not match its options".into(),
        ));
    }
    Ok(())
}

pub fn check_not_moving(account: &Account) -> CoreResult<()> {
    if account.moving {
        return Err(CoreError::Conflict(
            "Your account is moving to another region; nothing can be changed until the move is done".into(),
        ));
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum Engagement {
    Following,
    Favourites,
    Bookmarks,
}

/// A stored picture's SHA-256, from its file name (`<sha256>.<ext>`).
fn picture_hash(file: Option<&str>) -> Option<String> {
    file.and_then(super::profile_pictures::hash_and_ext)
        .map(|(hash, _)| hash.to_string())
}

fn page(max_id: Option<Id>) -> Page {
    Page {
        max_id,
        limit: PAGE,
        ..Page::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn poll(options: &[&str], votes: &[i64], voters: i64) -> MovedPoll {
        MovedPoll {
            options: options.iter().map(|o| o.to_string()).collect(),
            votes: votes.to_vec(),
            voters_count: voters,
            multiple: false,
            hide_totals: false,
            expires_at_ms: 0,
        }
    }

    #[test]
    fn a_moved_poll_needs_a_count_per_option_and_none_negative() {
        assert!(check_moved_poll(&poll(&["tea", "coffee"], &[2, 0], 2)).is_ok());
        for bad in [
            poll(&[], &[], 0),
            poll(&["tea", "coffee"], &[2], 2),
            poll(&["tea"], &[1, 1], 2),
            poll(&["tea", "coffee"], &[-1, 0], 1),
            poll(&["tea", "coffee"], &[1, 0], -1),
        ] {
            assert!(
                matches!(check_moved_poll(&bad), Err(CoreError::Validation(_))),
                "{bad:?}"
            );
        }
    }
}
