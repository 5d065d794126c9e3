//! Announcements: written and ended by the region's admins (`roost admin announce`),
//! listed to every signed-in user with their own dismissals and reactions.

use super::{now, Roost};
use crate::id::Id;
use crate::model::*;
use crate::{CoreError, CoreResult};

const MAX_TEXT: usize = 5000;

impl Roost {
    /// A new announcement, shown from now until `ends_at` (or until ended).
    pub async fn announce(
        &self,
        text: &str,
        ends_at: Option<jiff::Timestamp>,
    ) -> CoreResult<Announcement> {
        let text = crate::text::strip_forbidden(text).trim().to_string();
        if text.is_empty() || text.chars().count() > MAX_TEXT {
            return Err(CoreError::Validation(format!(
                "Validation failed: Text must be 1 to {MAX_TEXT} characters"
            )));
        }
        let at = now();
        let a = Announcement {
            id: self.next_id()?,
            content_html: self.render_text(&text).await?,
            text,
            starts_at: None,
            ends_at,
            all_day: false,
            published_at: at,
            updated_at: at,
            read: false,
            reactions: Vec::new(),
        };
        self.store.create_announcement(&a).await?;
        Ok(a)
    }

    pub async fn end_announcement(&self, id: Id) -> CoreResult<()> {
        if !self.store.end_announcement(id, now()).await? {
            return Err(CoreError::NotFound("announcement"));
        }
        Ok(())
    }

    pub async fn announcements(&self, viewer: &Account) -> CoreResult<Vec<Announcement>> {
        Ok(self.store.announcements(viewer.id, now()).await?)
    }

    pub async fn dismiss_announcement(&self, viewer: &Account, id: Id) -> CoreResult<()> {
        if !self.store.dismiss_announcement(id, viewer.id).await? {
            return Err(CoreError::NotFound("announcement"));
        }
        Ok(())
    }

    /// Adds or removes the viewer's reaction: one emoji (no letters, digits or spaces).
    pub async fn react_to_announcement(
        &self,
        viewer: &Account,
        id: Id,
        name: &str,
        on: bool,
    ) -> CoreResult<()> {
        let valid = !name.is_empty()
            && name.chars().count() <= 16
            && !name
                .chars()
                .any(|c| c.is_alphanumeric() || c.is_whitespace() || c.is_control());
        if !valid {
            return Err(CoreError::Validation(
                "Validation failed: Name is not a recognized emoji".into(),
            ));
        }
        if !self
            .store
            .react_to_announcement(id, viewer.id, name, on)
            .await?
        {
            return Err(CoreError::NotFound("announcement"));
        }
        Ok(())
    }
}
