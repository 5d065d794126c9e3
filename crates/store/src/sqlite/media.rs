//! `MediaStore`: attachment rows and profile-picture file names (the bytes are in the
//! blob store).

use super::{at, backend, corrupt, exec, ms, per_chunk, row, rows, scalar, ts, SqliteStore};
use crate::sql::Sql;
use async_trait::async_trait;
use roost_core::media::{Blob, MediaAttachment, MediaKind, MediaRole};
use roost_core::store::{MediaStore, StoreError, StoreResult};
use roost_core::Id;

pub(crate) const MEDIA_COLS: &str =
    "m.id, m.account_id, m.status_id, m.role, m.kind, m.file_hash, \
    m.file_mime, m.file_size, m.preview_hash, m.preview_mime, m.preview_size, m.width, \
    m.height, m.small_width, m.small_height, m.blurhash, m.description, m.focus_x, \
    m.focus_y, m.position, m.created_at";

pub(crate) fn blob(hash: Option<String>, mime: Option<String>, size: Option<i64>) -> Option<Blob> {
    Some(Blob {
        hash: hash?,
        mime: mime?,
        size: size? as u64,
    })
}

pub(crate) fn pair(w: Option<i64>, h: Option<i64>) -> Option<(u32, u32)> {
    Some((w? as u32, h? as u32))
}

fn media_from_row(r: &rusqlite::Row<'_>) -> StoreResult<MediaAttachment> {
    let role: String = at(r, 3)?;
    let kind: String = at(r, 4)?;
    Ok(MediaAttachment {
        id: Id(at(r, 0)?),
        account_id: Id(at(r, 1)?),
        status_id: at::<Option<i64>>(r, 2)?.map(Id),
        role: MediaRole::parse(&role).ok_or_else(|| corrupt(format!("media role {role}")))?,
        kind: MediaKind::parse(&kind).ok_or_else(|| corrupt(format!("media kind {kind}")))?,
        file: blob(at(r, 5)?, at(r, 6)?, at(r, 7)?),
        preview: blob(at(r, 8)?, at(r, 9)?, at(r, 10)?),
        size: pair(at(r, 11)?, at(r, 12)?),
        small: pair(at(r, 13)?, at(r, 14)?),
        blurhash: at(r, 15)?,
        description: at(r, 16)?,
        focus: (at(r, 17)?, at(r, 18)?),
        position: at(r, 19)?,
        created_at: ts(at(r, 20)?)?,
    })
}

fn media_in(c: &rusqlite::Connection, id: Id) -> StoreResult<Option<MediaAttachment>> {
    let sql = format!("SELECT {MEDIA_COLS} FROM media m WHERE m.id = $1");
    let mut found = row(c, &sql, &[&id.0], media_from_row)?;
    if let Some(m) = found.as_mut() {
        super::keys::open_media(c, std::slice::from_mut(m))?;
    }
    Ok(found)
}

/// The attachments of these statuses, by status then position (also part of a page's
/// status bundle, read on the same trip).
pub(crate) fn status_media_in(
    c: &rusqlite::Connection,
    statuses: &[Id],
) -> StoreResult<Vec<MediaAttachment>> {
    if statuses.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = per_chunk(
        c,
        statuses,
        |chunk| {
            // `IS NOT NULL` lets SQLite use the partial index `media_status`.
            let mut q = Sql::new(&format!(
                "SELECT {MEDIA_COLS} FROM media m \
                 WHERE m.status_id IS NOT NULL AND m.status_id IN ("
            ));
            q.push_ids(chunk).push(")");
            q
        },
        media_from_row,
    )?;
    out.sort_by_key(|m| (m.status_id, m.position));
    super::keys::open_media(c, &mut out)?;
    Ok(out)
}

#[async_trait]
impl MediaStore for SqliteStore {
    async fn create_media(&self, m: &MediaAttachment) -> StoreResult<()> {
        let m = m.clone();
        self.db
            .write(move |c| {
                let description = super::keys::write_key(c, m.account_id)?.seal(&m.description);
                exec(
                    c,
                    "INSERT INTO media (id, account_id, status_id, role, kind, description, \
                     focus_x, focus_y, position, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                    &[
                        &m.id.0,
                        &m.account_id.0,
                        &m.status_id.map(|i| i.0),
                        &m.role.as_str(),
                        &m.kind.as_str(),
                        &description,
                        &m.focus.0,
                        &m.focus.1,
                        &m.position,
                        &ms(m.created_at),
                    ],
                )
                .map_err(|e| super::write_err(e, "media", "account"))?;
                Ok(())
            })
            .await
    }

    async fn media(&self, id: Id) -> StoreResult<Option<MediaAttachment>> {
        self.db.read(move |c| media_in(c, id)).await
    }

    async fn finish_media(&self, d: &MediaAttachment) -> StoreResult<Option<MediaAttachment>> {
        let d = d.clone();
        self.db
            .write(move |c| {
                let (fh, fm, fs) = match &d.file {
                    Some(b) => (
                        Some(b.hash.clone()),
                        Some(b.mime.clone()),
                        Some(b.size as i64),
                    ),
                    None => (None, None, None),
                };
                let (ph, pm, ps) = match &d.preview {
                    Some(b) => (
                        Some(b.hash.clone()),
                        Some(b.mime.clone()),
                        Some(b.size as i64),
                    ),
                    None => (None, None, None),
                };
                exec(
                    c,
                    "UPDATE media SET kind = $2, file_hash = $3, file_mime = $4, file_size = $5, \
                     preview_hash = $6, preview_mime = $7, preview_size = $8, width = $9, \
                     height = $10, small_width = $11, small_height = $12, blurhash = $13 \
                     WHERE id = $1",
                    &[
                        &d.id.0,
                        &d.kind.as_str(),
                        &fh,
                        &fm,
                        &fs,
                        &ph,
                        &pm,
                        &ps,
                        &d.size.map(|s| s.0),
                        &d.size.map(|s| s.1),
                        &d.small.map(|s| s.0),
                        &d.small.map(|s| s.1),
                        &d.blurhash,
                    ],
                )
                .map_err(backend)?;
                media_in(c, d.id)
            })
            .await
    }

    async fn update_media(
        &self,
        id: Id,
        description: Option<&str>,
        focus: Option<(f64, f64)>,
    ) -> StoreResult<Option<MediaAttachment>> {
        let description = description.map(String::from);
        self.db
            .write(move |c| {
                let owner =
                    scalar::<i64>(c, "SELECT account_id FROM media WHERE id = $1", &[&id.0])?;
                if let (Some(d), Some(owner)) = (&description, owner) {
                    super::engine::overwrote_text();
                    let sealed = super::keys::write_key(c, Id(owner))?.seal(d);
                    exec(
                        c,
                        "UPDATE media SET description = $2 WHERE id = $1",
                        &[&id.0, &sealed],
                    )
                    .map_err(backend)?;
                }
                if let Some((x, y)) = focus {
                    exec(
                        c,
                        "UPDATE media SET focus_x = $2, focus_y = $3 WHERE id = $1",
                        &[&id.0, &x, &y],
                    )
                    .map_err(backend)?;
                }
                media_in(c, id)
            })
            .await
    }

    async fn delete_media(&self, id: Id) -> StoreResult<Option<MediaAttachment>> {
        self.db
            .write(move |c| {
                let m = media_in(c, id)?;
                if m.is_some() {
                    exec(c, "DELETE FROM media WHERE id = $1", &[&id.0]).map_err(backend)?;
                }
                Ok(m)
            })
            .await
    }

    async fn attach_media(&self, status: Id, account: Id, ids: &[Id]) -> StoreResult<()> {
        let ids = ids.to_vec();
        self.db
            .write(move |c| {
                // One write: checked and attached together, so an upload cannot land on
                // two posts however the requests race.
                for (pos, id) in ids.iter().enumerate() {
                    let n = exec(
                        c,
                        "UPDATE media SET status_id = $1, position = $4 WHERE id = $2 \
                         AND account_id = $3 AND status_id IS NULL AND role = 'attachment' \
                         AND file_hash IS NOT NULL",
                        &[&status.0, &id.0, &account.0, &(pos as i64)],
                    )
                    .map_err(|e| super::write_err(e, "media", "status"))?;
                    if n != 1 {
                        // The writer runs each job in its own savepoint: failing undoes
                        // the attachments made so far.
                        return Err(StoreError::Conflict("media"));
                    }
                }
                Ok(())
            })
            .await
    }

    async fn status_media(&self, statuses: &[Id]) -> StoreResult<Vec<MediaAttachment>> {
        if statuses.is_empty() {
            return Ok(Vec::new());
        }
        let statuses = statuses.to_vec();
        self.db.read(move |c| status_media_in(c, &statuses)).await
    }

    async fn set_profile_file(
        &self,
        account: Id,
        role: MediaRole,
        file: Option<&str>,
    ) -> StoreResult<Option<String>> {
        let col = match role {
            MediaRole::Avatar => "avatar_file",
            MediaRole::Header => "header_file",
            MediaRole::Attachment => return Err(StoreError::Missing("profile picture")),
        };
        let file = file.map(String::from);
        self.db
            .write(move |c| {
                let old: Option<Option<String>> = scalar(
                    c,
                    &format!("SELECT {col} FROM accounts WHERE id = $1"),
                    &[&account.0],
                )?;
                let Some(old) = old else {
                    return Err(StoreError::Missing("account"));
                };
                exec(
                    c,
                    &format!("UPDATE accounts SET {col} = $2 WHERE id = $1"),
                    &[&account.0, &file],
                )
                .map_err(backend)?;
                Ok(old)
            })
            .await
    }

    async fn blob_in_use(&self, hash: &str) -> StoreResult<bool> {
        let hash = hash.to_string();
        self.db
            .read(move |c| {
                let prefix = format!("{hash}.%");
                let n: Option<i64> = scalar(
                    c,
                    "SELECT 1 WHERE EXISTS (SELECT 1 FROM media WHERE file_hash = $1) \
                     OR EXISTS (SELECT 1 FROM media WHERE preview_hash = $1) \
                     OR EXISTS (SELECT 1 FROM accounts WHERE avatar_file LIKE $2) \
                     OR EXISTS (SELECT 1 FROM accounts WHERE header_file LIKE $2) \
                     OR EXISTS (SELECT 1 FROM custom_emojis WHERE file_hash = $1)",
                    &[&hash, &prefix],
                )?;
                Ok(n.is_some())
            })
            .await
    }

    async fn public_blob(&self, hash: &str) -> StoreResult<Option<String>> {
        let hash = hash.to_string();
        self.db
            .read(move |c| {
                let found: Option<String> = scalar(
                    c,
                    "SELECT CASE WHEN m.file_hash = $1 THEN m.file_mime ELSE m.preview_mime END \
                     FROM media m JOIN statuses s ON s.id = m.status_id \
                     WHERE (m.file_hash = $1 OR m.preview_hash = $1) \
                     AND s.visibility IN ('public', 'unlisted') LIMIT 1",
                    &[&hash],
                )?;
                if found.is_some() {
                    return Ok(found);
                }
                // The region's custom emoji are public content.
                let emoji: Option<String> = scalar(
                    c,
                    "SELECT file_mime FROM custom_emojis WHERE file_hash = $1 LIMIT 1",
                    &[&hash],
                )?;
                if emoji.is_some() {
                    return Ok(emoji);
                }
                let prefix = format!("{hash}.%");
                let file: Option<String> = scalar(
                    c,
                    "SELECT avatar_file FROM accounts WHERE avatar_file LIKE $1 \
                     UNION ALL SELECT header_file FROM accounts WHERE header_file LIKE $1 LIMIT 1",
                    &[&prefix],
                )?;
                Ok(file.map(|f| {
                    let ext = f.rsplit('.').next().unwrap_or_default();
                    mime_of_extension(ext).to_string()
                }))
            })
            .await
    }

    async fn referenced_blobs(&self) -> StoreResult<Vec<String>> {
        self.db
            .read(move |c| {
                let mut out: Vec<String> = rows(
                    c,
                    "SELECT file_hash FROM media WHERE file_hash IS NOT NULL \
                     UNION SELECT preview_hash FROM media WHERE preview_hash IS NOT NULL \
                     UNION SELECT substr(avatar_file, 1, 64) FROM accounts WHERE avatar_file IS NOT NULL \
                     UNION SELECT substr(header_file, 1, 64) FROM accounts WHERE header_file IS NOT NULL \
                     UNION SELECT file_hash FROM custom_emojis",
                    &[],
                    |r| at(r, 0),
                )?;
                out.sort();
                out.dedup();
                Ok(out)
            })
            .await
    }
}

pub(crate) fn mime_of_extension(ext: &str) -> &'static str {
    match ext {
        "jpg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        _ => "application/octet-stream",
    }
}
