//! The account archive, written as Mastodon's "Request your archive" lays it out: a ZIP
//! with `actor.json` (the Person, pictures named `avatar.EXT` / `header.EXT` beside it),
//! `outbox.json` (an `OrderedCollection` of the account's `Create`s and `Announce`s, the
//! notes' attachments pointing at `media_attachments/files/...` in the archive),
//! `likes.json` and `bookmarks.json` (collections of status URIs) and the files; plus
//! roost's `residency.json`: the residency report and every entry of this region's
//! ledger about the account with its inclusion proof against one signed tree head.
//!
//! Core hands the parts over a page at a time ([`ArchiveWriter`]); they go into an
//! unnamed temporary file (never kept: it goes when closed), written on the blocking
//! pool, and the answer streams from it. Memory holds one page and one file.

use crate::ap::{self, Actor};
use crate::holdings::ProvenEntry;
use crate::Federation;
use async_trait::async_trait;
use axum::body::{Body, Bytes};
use axum::response::{IntoResponse, Response};
use roost_core::export::{ArchiveWriter, ArchivedPicture, ArchivedStatus};
use roost_core::media::{extension, MediaAttachment};
use roost_core::model::Account;
use roost_core::{CoreError, CoreResult, Id, Roost};
use serde_json::Value;
use std::fs::File;
use std::io::{Seek, Write};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// Archives written at once by one node.
pub(crate) const AT_ONCE: usize = 2;

/// Ledger entries proved and written at once.
const ENTRY_BATCH: usize = 256;

/// The JSON collections of the archive, in the order they are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Nothing,
    Outbox,
    Files,
    Likes,
    Bookmarks,
}

impl Part {
    fn collection(self) -> Option<&'static str> {
        match self {
            Part::Outbox => Some("outbox.json"),
            Part::Likes => Some("likes.json"),
            Part::Bookmarks => Some("bookmarks.json"),
            Part::Nothing | Part::Files => None,
        }
    }
}

/// Where a post's file is in the archive: Mastodon's `media_attachments/files/` with the
/// ID cut in groups of three digits, then `original/` and the stored name.
pub fn media_path(m: &MediaAttachment) -> Option<String> {
    let f = m.file.as_ref()?;
    let digits = m.id.to_string();
    let width = digits.len().div_ceil(3).max(6) * 3;
    let padded = format!("{digits:0>width$}");
    let groups: Vec<&str> = (0..width).step_by(3).map(|i| &padded[i..i + 3]).collect();
    Some(format!(
        "media_attachments/files/{}/original/{}.{}",
        groups.join("/"),
        f.hash,
        extension(&f.mime)
    ))
}

/// A finished archive: the file to stream and the name to offer.
pub struct Archive {
    file: File,
    len: u64,
    pub name: String,
}

impl Archive {
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl IntoResponse for Archive {
    fn into_response(self) -> Response {
        let file = tokio::fs::File::from_std(self.file);
        let chunks = futures::stream::unfold(file, |mut f| async move {
            use tokio::io::AsyncReadExt;
            let mut buf = vec![0u8; 64 * 1024];
            match f.read(&mut buf).await {
                Ok(0) => None,
                Ok(n) => {
                    buf.truncate(n);
                    Some((Ok::<_, std::io::Error>(Bytes::from(buf)), f))
                }
                Err(e) => Some((Err(e), f)),
            }
        });
        (
            [
                (http::header::CONTENT_TYPE, "application/zip".to_string()),
                (http::header::CONTENT_LENGTH, self.len.to_string()),
                (
                    http::header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{}\"", self.name),
                ),
                (http::header::CACHE_CONTROL, "private, no-store".to_string()),
            ],
            Body::from_stream(chunks),
        )
            .into_response()
    }
}

fn internal(e: impl std::fmt::Display) -> CoreError {
    CoreError::Internal(format!("archive: {e}"))
}

fn deflated() -> SimpleFileOptions {
    SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(zip_time())
}

/// Pictures and media are compressed already.
fn stored() -> SimpleFileOptions {
    deflated().compression_method(CompressionMethod::Stored)
}

fn zip_time() -> zip::DateTime {
    let now = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC);
    zip::DateTime::from_date_and_time(
        now.year() as u16,
        now.month() as u8,
        now.day() as u8,
        now.hour() as u8,
        now.minute() as u8,
        now.second() as u8,
    )
    .unwrap_or_default()
}

/// Writes an account's archive into a temporary file.
pub struct ZipArchive<'a> {
    fed: &'a Federation,
    roost: &'a Roost,
    /// Taken while a write runs on the blocking pool.
    zip: Option<ZipWriter<File>>,
    part: Part,
    _turn: tokio::sync::SemaphorePermit<'a>,
    /// Items in the open collection.
    count: u64,
    name: String,
}

impl Federation {
    /// A writer for `account`'s archive, once it is its turn; hand it to
    /// `Roost::export_account`, then [`ZipArchive::finish`].
    pub async fn archive_writer<'a>(
        &'a self,
        roost: &'a Roost,
        account: &Account,
    ) -> CoreResult<ZipArchive<'a>> {
        let turn = self.exports.acquire().await.map_err(internal)?;
        let file = tempfile::tempfile().map_err(internal)?;
        let time = jiff::Timestamp::now().strftime("%Y%m%d%H%M%S");
        Ok(ZipArchive {
            fed: self,
            roost,
            zip: Some(ZipWriter::new(file)),
            part: Part::Nothing,
            _turn: turn,
            count: 0,
            name: format!("archive-{time}-{}.zip", account.username),
        })
    }
}

impl ZipArchive<'_> {
    /// Runs `f` on the ZIP on the blocking pool (deflate and file writes are not for the
    /// async threads).
    async fn with_zip<T: Send + 'static>(
        &mut self,
        f: impl FnOnce(&mut ZipWriter<File>) -> std::io::Result<T> + Send + 'static,
    ) -> CoreResult<T> {
        let mut zip = self.zip.take().ok_or_else(|| internal("writer lost"))?;
        let (zip, out) = tokio::task::spawn_blocking(move || {
            let out = f(&mut zip);
            (zip, out)
        })
        .await
        .map_err(internal)?;
        self.zip = Some(zip);
        out.map_err(internal)
    }

    async fn file(
        &mut self,
        name: String,
        bytes: Vec<u8>,
        opts: SimpleFileOptions,
    ) -> CoreResult<()> {
        self.with_zip(move |z| {
            z.start_file(name, opts)?;
            z.write_all(&bytes)
        })
        .await
    }

    /// Moves on to `part`, closing the collection that was open.
    async fn enter(&mut self, part: Part) -> CoreResult<()> {
        if self.part == part {
            return Ok(());
        }
        if self.part.collection().is_some() {
            let tail = format!("],\"totalItems\":{}}}", self.count);
            self.with_zip(move |z| z.write_all(tail.as_bytes())).await?;
        }
        self.part = part;
        self.count = 0;
        if let Some(name) = part.collection() {
            let head = format!(
                "{{\"@context\":\"{}\",\"id\":\"{name}\",\"type\":\"OrderedCollection\",\"orderedItems\":[",
                ap::AS_CONTEXT
            );
            self.with_zip(move |z| {
                z.start_file(name, deflated())?;
                z.write_all(head.as_bytes())
            })
            .await?;
        }
        Ok(())
    }

    /// Appends items to the open collection.
    async fn items(&mut self, part: Part, items: Vec<Value>) -> CoreResult<()> {
        self.enter(part).await?;
        let mut bytes = Vec::new();
        for item in &items {
            if self.count > 0 {
                bytes.push(b',');
            }
            serde_json::to_writer(&mut bytes, item).map_err(internal)?;
            self.count += 1;
        }
        self.with_zip(move |z| z.write_all(&bytes)).await
    }

    fn status_uri(&self, id: Id) -> String {
        let home = self
            .fed
            .home_of(id)
            .unwrap_or_else(|| self.fed.region.clone());
        ap::note_uri(&self.fed.base_of(&home), id)
    }

    /// The activity a status is in the outbox: its `Create` (the note's files pointing
    /// into the archive) or, for a reblog, its `Announce`. Without `@context`, as
    /// Mastodon's archive has it only on the collection.
    fn activity_of(&self, author: &Account, a: &ArchivedStatus) -> Option<Value> {
        let s = &a.status;
        let act = if s.reblog_of_id.is_some() {
            self.fed.announce_of(s, author)?
        } else {
            let mut note = self
                .fed
                .note_from_parts(s, author, &a.mentions, &a.tags, None);
            note.poll = a.poll.as_ref().map(ap::NotePoll::of);
            note.attachment = ap::attachments_of(&self.fed.base, &a.media);
            for (att, m) in note
                .attachment
                .iter_mut()
                .zip(a.media.iter().filter(|m| m.file.is_some()))
            {
                if let Some(path) = media_path(m) {
                    att.url = path;
                }
            }
            let mut act =
                self.fed
                    .note_activity("Create", format!("{}/activity", note.id), author, &note);
            act.published = Some(s.created_at.to_string());
            act
        };
        let mut v = serde_json::to_value(act).ok()?;
        v.as_object_mut()?.remove("@context");
        Some(v)
    }

    /// Closes the last part and the ZIP; the archive, ready to stream from its start.
    pub async fn finish(mut self) -> CoreResult<Archive> {
        self.enter(Part::Nothing).await?;
        let zip = self.zip.take().ok_or_else(|| internal("writer lost"))?;
        let name = self.name;
        tokio::task::spawn_blocking(move || {
            let mut file = zip.finish().map_err(internal)?;
            let len = file.seek(std::io::SeekFrom::End(0)).map_err(internal)?;
            file.rewind().map_err(internal)?;
            Ok(Archive { file, len, name })
        })
        .await
        .map_err(internal)?
    }
}

#[async_trait]
impl ArchiveWriter for ZipArchive<'_> {
    async fn actor(
        &mut self,
        account: &Account,
        avatar: Option<ArchivedPicture>,
        header: Option<ArchivedPicture>,
    ) -> CoreResult<()> {
        let actor = Actor::from_account(account, &self.fed.base, &self.fed.public_key_pem);
        let mut v = serde_json::to_value(&actor).map_err(internal)?;
        let obj = v.as_object_mut().ok_or_else(|| internal("actor"))?;
        obj.insert("outbox".into(), "outbox.json".into());
        obj.insert("likes".into(), "likes.json".into());
        obj.insert("bookmarks".into(), "bookmarks.json".into());
        for (key, role, picture) in [("icon", "avatar", avatar), ("image", "header", header)] {
            let Some(p) = picture else {
                obj.remove(key);
                continue;
            };
            let ext = p.file.rsplit_once('.').map(|(_, e)| e).unwrap_or("bin");
            let name = format!("{role}.{ext}");
            if let Some(pic) = obj.get_mut(key).and_then(Value::as_object_mut) {
                pic.insert("url".into(), name.clone().into());
            }
            self.file(name, p.bytes, stored()).await?;
        }
        let bytes = serde_json::to_vec(&v).map_err(internal)?;
        self.file("actor.json".into(), bytes, deflated()).await
    }

    async fn statuses(&mut self, account: &Account, page: Vec<ArchivedStatus>) -> CoreResult<()> {
        let items = page
            .iter()
            .filter_map(|a| self.activity_of(account, a))
            .collect();
        self.items(Part::Outbox, items).await
    }

    async fn media_file(&mut self, media: &MediaAttachment, bytes: Vec<u8>) -> CoreResult<()> {
        self.enter(Part::Files).await?;
        let Some(path) = media_path(media) else {
            return Ok(());
        };
        self.file(path, bytes, stored()).await
    }

    async fn likes(&mut self, statuses: &[Id]) -> CoreResult<()> {
        let items = statuses
            .iter()
            .map(|id| self.status_uri(*id).into())
            .collect();
        self.items(Part::Likes, items).await
    }

    async fn bookmarks(&mut self, statuses: &[Id]) -> CoreResult<()> {
        let items = statuses
            .iter()
            .map(|id| self.status_uri(*id).into())
            .collect();
        self.items(Part::Bookmarks, items).await
    }

    async fn residency(&mut self, account: &Account) -> CoreResult<()> {
        self.enter(Part::Nothing).await?;
        let report = self.fed.residency_report(self.roost, account).await?;
        // One head for every proof, taken after the report: entries appended since the
        // report's own head are in it too.
        let ledger = self.fed.gate.ledger().clone();
        let head = ledger.head().await;
        let size = head.head.tree_size;
        let mut indices = self.fed.store.ledger_indices_about(account.id).await?;
        indices.retain(|i| *i < size);

        let mut start = Vec::from(&b"{"[..]);
        if let Value::Object(fields) = report {
            for (k, v) in fields {
                serde_json::to_writer(&mut start, &k).map_err(internal)?;
                start.push(b':');
                serde_json::to_writer(&mut start, &v).map_err(internal)?;
                start.push(b',');
            }
        }
        start.extend_from_slice(b"\"ledger\":");
        let mut ledger_head = serde_json::to_vec(&serde_json::json!({
            "region": self.fed.region,
            "tree_size": size,
            "head": head,
        }))
        .map_err(internal)?;
        ledger_head.pop(); // the closing brace: the entries follow
        start.extend_from_slice(&ledger_head);
        start.extend_from_slice(b",\"entries\":[");
        self.with_zip(move |z| {
            z.start_file("residency.json", deflated())?;
            z.write_all(&start)
        })
        .await?;

        let mut first = true;
        for batch in indices.chunks(ENTRY_BATCH) {
            let mut bytes = Vec::new();
            for &index in batch {
                let Some(entry) = ledger.entry(index).await.map_err(internal)? else {
                    continue;
                };
                let proof = ledger.inclusion(index, size).await.map_err(internal)?;
                let proven = ProvenEntry {
                    index,
                    entry,
                    inclusion_proof: proof.iter().map(hex::encode).collect(),
                };
                if !first {
                    bytes.push(b',');
                }
                first = false;
                serde_json::to_writer(&mut bytes, &proven).map_err(internal)?;
            }
            self.with_zip(move |z| z.write_all(&bytes)).await?;
        }
        self.with_zip(|z| z.write_all(b"]}}")).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use roost_core::media::{Blob, MediaKind, MediaRole};

    #[test]
    fn media_paths_cut_the_id_in_groups_of_three() {
        let m = MediaAttachment {
            id: Id(1234567),
            account_id: Id(1),
            status_id: None,
            role: MediaRole::Attachment,
            kind: MediaKind::Image,
            file: Some(Blob {
                hash: "ab".repeat(32),
                mime: "image/png".into(),
                size: 1,
            }),
            preview: None,
            size: None,
            small: None,
            blurhash: None,
            description: String::new(),
            focus: (0.0, 0.0),
            position: 0,
            created_at: jiff::Timestamp::UNIX_EPOCH,
        };
        assert_eq!(
            media_path(&m).unwrap(),
            format!(
                "media_attachments/files/000/000/000/001/234/567/original/{}.png",
                "ab".repeat(32)
            )
        );
        let long = MediaAttachment {
            id: Id(i64::MAX),
            ..m.clone()
        };
        let path = media_path(&long).unwrap();
        assert!(
            path.starts_with("media_attachments/files/009/223/372/036/854/775/807/original/"),
            "{path}"
        );
        assert_eq!(media_path(&MediaAttachment { file: None, ..m }), None);
    }
}
