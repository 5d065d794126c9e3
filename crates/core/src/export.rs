//! The port an account archive is written through. Core decides what goes in it (the
//! profile, every post and reblog, the posts' files, likes, bookmarks, where the data
//! is); the federation crate, which owns the ActivityPub shapes and the ledger, decides
//! how it is written (Mastodon's archive layout, `residency.json`).

use crate::id::Id;
use crate::media::MediaAttachment;
use crate::model::{Account, Poll, Status};
use crate::CoreResult;
use async_trait::async_trait;

/// One of the account's statuses with what its note carries.
#[derive(Debug, Clone)]
pub struct ArchivedStatus {
    pub status: Status,
    pub mentions: Vec<Account>,
    pub tags: Vec<String>,
    pub media: Vec<MediaAttachment>,
    pub poll: Option<Poll>,
}

/// A profile picture: its stored name (`<sha256>.<ext>`) and bytes.
#[derive(Debug, Clone)]
pub struct ArchivedPicture {
    pub file: String,
    pub bytes: Vec<u8>,
}

/// Receives the archive in this order, each part once or (paged) several times in a
/// row: `actor`, `statuses`, `media_file`, `likes`, `bookmarks`, `residency`. Parts are
/// handed over a page at a time so that nothing holds the whole archive in memory.
#[async_trait]
pub trait ArchiveWriter: Send {
    async fn actor(
        &mut self,
        account: &Account,
        avatar: Option<ArchivedPicture>,
        header: Option<ArchivedPicture>,
    ) -> CoreResult<()>;
    /// A page of the account's statuses (posts and reblogs), newest first.
    async fn statuses(&mut self, account: &Account, page: Vec<ArchivedStatus>) -> CoreResult<()>;
    /// The stored file of one attachment of the account's posts.
    async fn media_file(&mut self, media: &MediaAttachment, bytes: Vec<u8>) -> CoreResult<()>;
    /// A page of the statuses the account liked, newest like first.
    async fn likes(&mut self, statuses: &[Id]) -> CoreResult<()>;
    async fn bookmarks(&mut self, statuses: &[Id]) -> CoreResult<()>;
    /// Where the account's data is and every ledger entry about it with its proof: the
    /// federation's own knowledge (the ledger, the other regions).
    async fn residency(&mut self, account: &Account) -> CoreResult<()>;
}
