//! `EmojiStore`: the region's custom emoji (the pictures are blobs, named by hash).

use super::{at, backend, exec, ms, row, rows, ts, write_err, SqliteStore};
use async_trait::async_trait;
use roost_core::emoji::CustomEmoji;
use roost_core::media::Blob;
use roost_core::store::{EmojiStore, StoreResult};

pub(crate) const COLS: &str =
    "shortcode, file_hash, file_mime, file_size, category, visible_in_picker, created_at";

fn emoji_from_row(r: &rusqlite::Row<'_>) -> StoreResult<CustomEmoji> {
    Ok(CustomEmoji {
        shortcode: at(r, 0)?,
        file: Blob {
            hash: at(r, 1)?,
            mime: at(r, 2)?,
            size: at::<i64>(r, 3)? as u64,
        },
        category: at(r, 4)?,
        visible_in_picker: at(r, 5)?,
        created_at: ts(at(r, 6)?)?,
    })
}

fn emoji_in(c: &rusqlite::Connection, shortcode: &str) -> StoreResult<Option<CustomEmoji>> {
    let sql = format!("SELECT {COLS} FROM custom_emojis WHERE shortcode = $1");
    row(c, &sql, &[&shortcode], emoji_from_row)
}

#[async_trait]
impl EmojiStore for SqliteStore {
    async fn create_emoji(&self, e: &CustomEmoji) -> StoreResult<()> {
        let e = e.clone();
        self.db
            .write(move |c| {
                exec(
                    c,
                    &format!(
                        "INSERT INTO custom_emojis ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
                    ),
                    &[
                        &e.shortcode,
                        &e.file.hash,
                        &e.file.mime,
                        &(e.file.size as i64),
                        &e.category,
                        &e.visible_in_picker,
                        &ms(e.created_at),
                    ],
                )
                .map_err(|err| write_err(err, "emoji", "emoji"))?;
                Ok(())
            })
            .await
    }

    async fn emoji(&self, shortcode: &str) -> StoreResult<Option<CustomEmoji>> {
        let shortcode = shortcode.to_string();
        self.db.read(move |c| emoji_in(c, &shortcode)).await
    }

    async fn emojis(&self) -> StoreResult<Vec<CustomEmoji>> {
        self.db
            .read(move |c| {
                rows(
                    c,
                    &format!("SELECT {COLS} FROM custom_emojis ORDER BY shortcode"),
                    &[],
                    emoji_from_row,
                )
            })
            .await
    }

    async fn delete_emoji(&self, shortcode: &str) -> StoreResult<Option<CustomEmoji>> {
        let shortcode = shortcode.to_string();
        self.db
            .write(move |c| {
                let e = emoji_in(c, &shortcode)?;
                if e.is_some() {
                    exec(
                        c,
                        "DELETE FROM custom_emojis WHERE shortcode = $1",
                        &[&shortcode],
                    )
                    .map_err(backend)?;
                }
                Ok(e)
            })
            .await
    }
}
