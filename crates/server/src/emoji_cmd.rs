//! `roost admin emoji add|remove|list`: the region's custom emoji from the command line.
//! A running server picks up changes at its next reload (`EMOJI_RELOAD`).

use anyhow::Context;
use clap::Subcommand;
use roost_core::usecase::NewEmoji;
use roost_core::Roost;
use std::path::PathBuf;

#[derive(Subcommand, Debug, Clone)]
pub enum EmojiTask {
    /// Add an emoji from a PNG, GIF or WebP file of at most 256 KiB.
    Add {
        /// Letters, digits and underscores, at least two (used as `:SHORTCODE:`).
        shortcode: String,
        file: PathBuf,
        /// The picker section it is listed under.
        #[arg(long)]
        category: Option<String>,
        /// Leave it out of pickers (it still renders where typed).
        #[arg(long)]
        hidden: bool,
    },
    /// Remove an emoji (its file too, once nothing else uses it).
    Remove { shortcode: String },
    /// List the emoji: shortcode, URL, category, whether listed in pickers.
    List,
}

/// Runs one task; returns what to print.
pub async fn run(roost: &Roost, task: EmojiTask) -> anyhow::Result<String> {
    match task {
        EmojiTask::Add {
            shortcode,
            file,
            category,
            hidden,
        } => {
            let bytes = tokio::fs::read(&file)
                .await
                .with_context(|| format!("reading {}", file.display()))?;
            let e = roost
                .add_emoji(NewEmoji {
                    shortcode,
                    bytes,
                    category,
                    visible_in_picker: !hidden,
                })
                .await
                .context("adding the emoji")?;
            Ok(format!(
                ":{}: added ({})",
                e.shortcode,
                roost.cfg.emoji_url(&e)
            ))
        }
        EmojiTask::Remove { shortcode } => {
            let e = roost
                .remove_emoji(&shortcode)
                .await
                .context("removing the emoji")?;
            Ok(format!(":{}: removed", e.shortcode))
        }
        EmojiTask::List => {
            let mut out = String::new();
            for e in roost.stored_emojis().await? {
                out.push_str(&format!(
                    ":{}:\t{}\t{}\t{}\n",
                    e.shortcode,
                    roost.cfg.emoji_url(&e),
                    e.category.as_deref().unwrap_or("-"),
                    if e.visible_in_picker {
                        "listed"
                    } else {
                        "hidden"
                    }
                ));
            }
            Ok(out.trim_end().to_string())
        }
    }
}
