//! The port to other regions. Use cases say *what* happened ([`Outbound`]) and ask for
//! foreign data; the federation crate implements [`Remote`] and is the only code that talks
//! to another region (through the residency gate). A single-region roost uses [`NoRemote`].

use crate::id::Id;
use crate::model::{Account, Page, Status, ViewCount};
use crate::{CoreError, CoreResult};
use async_trait::async_trait;

/// Something a local user did that other regions may need to hear of. Recipients, wire
/// format and policy are the federation's business.
#[derive(Debug, Clone)]
pub enum Outbound {
    /// A follow (or follow request) of a foreign account.
    Follow {
        follower: Id,
        target: Id,
    },
    UndoFollow {
        follower: Id,
        target: Id,
    },
    /// A local account accepted a foreign follower.
    AcceptFollow {
        follower: Id,
        target: Id,
    },
    RejectFollow {
        follower: Id,
        target: Id,
    },
    /// A new status (post, reply, quote or reblog) by a local account.
    Created {
        status: Id,
    },
    Updated {
        status: Id,
    },
    /// Sent to the regions the status went to; carries the status as it was.
    Deleted {
        status: Box<Status>,
        mentions: Vec<Id>,
    },
    Favourited {
        account: Id,
        status: Id,
    },
    Unfavourited {
        account: Id,
        status: Id,
    },
    /// A local account voted on a poll of another region: counted at the poll's home
    /// (`engagement`).
    Voted {
        account: Id,
        status: Id,
        choices: Vec<u32>,
    },
    ProfileUpdated {
        account: Id,
    },
    /// A local account blocked a foreign one: the blocked account's home refuses their
    /// interactions with the blocker (`social_graph` of the blocker; only sent when the
    /// policy allows it).
    Block {
        account: Id,
        target: Id,
    },
    UndoBlock {
        account: Id,
        target: Id,
    },
    /// Views of foreign statuses read here, counted at their home region.
    Views {
        region: String,
        counts: Vec<(Id, i64)>,
    },
    /// A local account was suspended: every region holding any of its content hides it.
    Suspended {
        account: Id,
    },
    Unsuspended {
        account: Id,
    },
    /// A report about a foreign account, forwarded to its home region's moderators:
    /// anonymous (no reporter) and with status IDs only (the home has the posts).
    ReportForwarded {
        report: Id,
        target: Id,
        region: String,
        status_ids: Vec<Id>,
        category: String,
        comment: String,
    },
    /// A local account was erased (its rows are gone): each region in `regions` is told
    /// to remove all it holds of them and acknowledges. Carries what the rows no longer
    /// can.
    Erased {
        account: Id,
        username: String,
        regions: Vec<String>,
        /// Set when the account moved rather than left: its new ID and home, so each told
        /// region points its follows there before forgetting the old account.
        moved_to: Option<(Id, String)>,
    },
}

/// A foreign status fetched live (policy `transit`): shown, cached briefly in memory,
/// never written to disk.
#[derive(Debug, Clone)]
pub struct TransitStatus {
    pub status: Status,
    pub author: Account,
    pub mentions: Vec<Account>,
    pub tags: Vec<String>,
    pub views: ViewCount,
    /// Its files, as the note describes them; shown through this region's relay.
    pub media: Vec<crate::media::ForeignMedia>,
    /// Its poll as the home tallies it (the viewer's own votes are not known here).
    pub poll: Option<crate::model::Poll>,
}

/// A foreign account as its home region sent it, admitted through the gate: how much of
/// it may be kept here and how much shown. Nothing of it is written until the core keeps
/// it ([`crate::Roost::keep_foreign_profile`]).
#[derive(Debug, Clone)]
pub struct ForeignProfile {
    /// What is written here: the whole profile where the policy lets this region keep
    /// it, else only the address.
    pub kept: Account,
    /// What the reader sees now (under `transit`, more than is kept).
    pub shown: Account,
    /// The account's search opt-in, when its home said; false unless the profile is kept.
    pub indexable: Option<bool>,
}

#[async_trait]
pub trait Remote: Send + Sync {
    /// `username` at `region`, asked of its home region.
    async fn resolve_account(&self, username: &str, region: &str) -> CoreResult<ForeignProfile>;
    /// An account by an ID minted in another region, asked of its home region.
    async fn fetch_account(&self, id: Id) -> CoreResult<ForeignProfile>;
    /// Queues the event durably; returns once it is queued (delivery is asynchronous).
    async fn publish(&self, event: Outbound) -> CoreResult<()>;
    /// One page of posts by foreign accounts the viewer follows whose home regions allow us
    /// only `transit`, fetched live from those regions in parallel.
    async fn transit_home(&self, viewer: Id, page: Page) -> CoreResult<Vec<TransitStatus>>;
    /// A foreign status fetched live, if its home region lets the viewer see it.
    async fn transit_status(&self, viewer: Option<Id>, id: Id)
        -> CoreResult<Option<TransitStatus>>;
    /// Another region's tag counts of the last days (`aggregate`: no person in them), for
    /// the cluster's trends. Without a federation there is nothing to ask.
    /// The regions other than this one that hold, or may hold, anything of the local
    /// account: every counterpart the ledger names it with. Asked before it is erased.
    async fn erasure_regions(&self, _account: Id) -> CoreResult<Vec<String>> {
        Ok(Vec::new())
    }
    /// Hands a local account to `region`, its new home, at its user's request; returns
    /// the new home's answer once it holds the account.
    async fn send_move(
        &self,
        _region: &str,
        _package: &crate::model::MovePackage,
    ) -> CoreResult<crate::model::MoveAck> {
        Err(CoreError::Validation(
            "There is no other region to move to".into(),
        ))
    }
    /// A file of an account moving here from `region`, fetched from there while the move
    /// runs; its bytes hash to `sha256`.
    async fn fetch_move_file(
        &self,
        _region: &str,
        _account: Id,
        _media: Id,
        _sha256: &str,
    ) -> CoreResult<Vec<u8>> {
        Err(CoreError::NotFound("media"))
    }
    /// The avatar or header of an account moving here from `region`, fetched from there
    /// while the move runs; its bytes hash to `sha256`.
    async fn fetch_move_picture(
        &self,
        _region: &str,
        _account: Id,
        _role: crate::media::MediaRole,
        _sha256: &str,
    ) -> CoreResult<Vec<u8>> {
        Err(CoreError::NotFound("media"))
    }
    async fn tag_counts(&self, _region: &str) -> CoreResult<Vec<crate::store::TagUse>> {
        Ok(Vec::new())
    }
    /// A foreign account's avatar or header, fetched from its home region and admitted
    /// here (a `stored` ledger entry with the file's hash, an inventory record with its
    /// retention deadline); Some only when its bytes hash to `hash` and the home's policy
    /// lets this region keep them.
    async fn fetch_profile_picture(
        &self,
        _account: Id,
        _role: crate::media::MediaRole,
        _hash: &str,
    ) -> CoreResult<Option<Vec<u8>>> {
        Ok(None)
    }
}

/// A region alone: nothing foreign exists, nothing is sent.
pub struct NoRemote;

#[async_trait]
impl Remote for NoRemote {
    async fn resolve_account(&self, _: &str, _: &str) -> CoreResult<ForeignProfile> {
        Err(CoreError::NotFound("account"))
    }
    async fn fetch_account(&self, _: Id) -> CoreResult<ForeignProfile> {
        Err(CoreError::NotFound("account"))
    }
    async fn publish(&self, _: Outbound) -> CoreResult<()> {
        Ok(())
    }
    async fn transit_home(&self, _: Id, _: Page) -> CoreResult<Vec<TransitStatus>> {
        Ok(Vec::new())
    }
    async fn transit_status(&self, _: Option<Id>, _: Id) -> CoreResult<Option<TransitStatus>> {
        Ok(None)
    }
}
