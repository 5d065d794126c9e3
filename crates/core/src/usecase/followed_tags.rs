//! Followed hashtags: their public posts join the follower's home timeline.

use super::{clamp_page, Roost};
use crate::id::Id;
use crate::model::Page;
use crate::text;
use crate::{CoreError, CoreResult};

/// A hashtag as the Tag entity shows it to one viewer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagView {
    /// Normalised (the stored form).
    pub name: String,
    /// Its last seven days of use here, newest first (Mastodon's `history`).
    pub history: Vec<super::search::TagDay>,
    pub following: Option<bool>,
}

/// Most hashtags one account follows.
const MAX_FOLLOWED: usize = 1000;

fn tag_of(name: &str) -> CoreResult<String> {
    let t = text::normalize_tag(name.trim().trim_start_matches('#'));
    if text::is_valid_tag(&t) {
        Ok(t)
    } else {
        Err(CoreError::NotFound("tag"))
    }
}

impl Roost {
    pub async fn tag(&self, viewer: Option<Id>, name: &str) -> CoreResult<TagView> {
        let name = tag_of(name)?;
        let following = match viewer {
            Some(v) => Some(
                !self
                    .store
                    .following_tags(v, std::slice::from_ref(&name))
                    .await?
                    .is_empty(),
            ),
            None => None,
        };
        let history = self.history_of(&name).await?;
        Ok(TagView {
            name,
            history,
            following,
        })
    }

    async fn history_of(&self, name: &str) -> CoreResult<Vec<super::search::TagDay>> {
        let name = name.to_string();
        let mut h = self.tag_history(std::slice::from_ref(&name)).await?;
        Ok(h.remove(&name).unwrap_or_default())
    }

    pub async fn follow_tag(&self, me: Id, name: &str) -> CoreResult<TagView> {
        let name = tag_of(name)?;
        let page = Page {
            limit: MAX_FOLLOWED as u32,
            ..Page::default()
        };
        if self.store.followed_tags(me, page).await?.len() >= MAX_FOLLOWED {
            return Err(CoreError::Validation(
                "Validation failed: Too many followed hashtags".into(),
            ));
        }
        self.store.follow_tag(self.next_id()?, me, &name).await?;
        Ok(TagView {
            history: self.history_of(&name).await?,
            name,
            following: Some(true),
        })
    }

    pub async fn unfollow_tag(&self, me: Id, name: &str) -> CoreResult<TagView> {
        let name = tag_of(name)?;
        self.store.unfollow_tag(me, &name).await?;
        Ok(TagView {
            history: self.history_of(&name).await?,
            name,
            following: Some(false),
        })
    }

    /// The followed tags and the page's cursor bounds.
    pub async fn followed_tags(
        &self,
        me: Id,
        page: Page,
    ) -> CoreResult<(Vec<TagView>, Option<(Id, Id)>)> {
        let rows = self.store.followed_tags(me, clamp_page(page)).await?;
        let bounds = rows
            .first()
            .zip(rows.last())
            .map(|(f, l)| (f.cursor, l.cursor));
        let names: Vec<String> = rows.iter().map(|r| r.item.clone()).collect();
        // One read for the whole page's histories.
        let mut history = self.tag_history(&names).await?;
        Ok((
            names
                .into_iter()
                .map(|name| TagView {
                    history: history.remove(&name).unwrap_or_default(),
                    name,
                    following: Some(true),
                })
                .collect(),
            bounds,
        ))
    }
}
