//! `EmojiStore`: the region's custom emoji (the pictures are blobs, named by hash).

use super::{at, backend, exec, ms, row, rows, ts, write_err, PgStore};
use super::{pg_read, pg_write, Db};
use crate::sqlite::emoji::COLS;
use async_trait::async_trait;
use roost_core::emoji::CustomEmoji;
use roost_core::media::Blob;
use roost_core::store::{EmojiStore, StoreResult};
use tokio_postgres::Row;

fn emoji_from_row(r: &Row) -> StoreResult<CustomEmoji> {
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

async fn emoji_in(c: &impl Db, shortcode: &str) -> StoreResult<Option<CustomEmoji>> {
    let sql = format!("SELECT {COLS} FROM custom_emojis WHERE shortcode = $1");
    row(c, &sql, &[&shortcode], emoji_from_row).await
}

#[async_trait]
impl EmojiStore for PgStore {
    async fn create_emoji(&self, e: &CustomEmoji) -> StoreResult<()> {
        let e = e.clone();
        pg_write!(self, c, {
            exec(
                c,
                &format!("INSERT INTO custom_emojis ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"),
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
            .await
            .map_err(|err| write_err(err, "emoji", "emoji"))?;
            Ok(())
        })
    }

    async fn emoji(&self, shortcode: &str) -> StoreResult<Option<CustomEmoji>> {
        let shortcode = shortcode.to_string();
        pg_read!(self, c, emoji_in(c, &shortcode).await)
    }

    async fn emojis(&self) -> StoreResult<Vec<CustomEmoji>> {
        pg_read!(self, c, {
            rows(
                c,
                &format!("SELECT {COLS} FROM custom_emojis ORDER BY shortcode"),
                &[],
                emoji_from_row,
            )
            .await
        })
    }

    async fn delete_emoji(&self, shortcode: &str) -> StoreResult<Option<CustomEmoji>> {
        let shortcode = shortcode.to_string();
        pg_write!(self, c, {
            let e = emoji_in(c, &shortcode).await?;
            if e.is_some() {
                exec(
                    c,
                    "DELETE FROM custom_emojis WHERE shortcode = $1",
                    &[&shortcode],
                )
                .await
                .map_err(backend)?;
            }
            Ok(e)
        })
    }
}
