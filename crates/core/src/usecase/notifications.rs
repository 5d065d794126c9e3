//! Notifications and reading markers.

use super::hydrate::NotificationView;
use super::{clamp_page, now, Roost};
use crate::id::Id;
use crate::model::*;
use crate::{CoreError, CoreResult};

/// Timelines a marker may be set for.
pub const MARKER_TIMELINES: [&str; 2] = ["home", "notifications"];

impl Roost {
    /// Notifies `account` unless it would notify someone of their own action.
    pub(crate) async fn notify(
        &self,
        account: Id,
        kind: NotificationType,
        from: Id,
        status: Option<Id>,
    ) -> CoreResult<()> {
        if account == from {
            return Ok(());
        }
        self.notify_many(&[account], kind, from, status).await
    }

    /// The notification `account` gets, if any: none for one's own acts, and none for
    /// foreign accounts (their own region hears of the act and notifies them).
    pub(crate) fn notification_for(
        &self,
        account: Id,
        kind: NotificationType,
        from: Id,
        status: Option<Id>,
    ) -> CoreResult<Option<Notification>> {
        if account == from || self.is_foreign_id(account) {
            return Ok(None);
        }
        Ok(Some(Notification {
            id: self.next_id()?,
            account_id: account,
            kind,
            from_account_id: from,
            status_id: status,
            created_at: now(),
        }))
    }

    /// Tells the recipient's live streams of a notification just stored.
    pub(crate) fn notified(&self, n: &Notification) {
        self.live_event(crate::live::Event::Notification {
            account: n.account_id,
            id: n.id,
        });
    }

    pub(crate) async fn notify_many(
        &self,
        accounts: &[Id],
        kind: NotificationType,
        from: Id,
        status: Option<Id>,
    ) -> CoreResult<()> {
        // None for those who block, are blocked by, or mute the actor, or muted the thread.
        let accounts = self.notifiable(accounts, from, status).await?;
        let mut items = Vec::with_capacity(accounts.len());
        for a in &accounts {
            items.extend(self.notification_for(*a, kind, from, status)?);
        }
        if !items.is_empty() {
            self.store.create_notifications(&items).await?;
            for n in &items {
                self.notified(n);
            }
        }
        Ok(())
    }

    pub async fn notifications(
        &self,
        viewer: Id,
        filter: &NotificationFilter,
        page: Page,
    ) -> CoreResult<Vec<NotificationView>> {
        let items = self
            .store
            .notifications(viewer, filter, clamp_page(page))
            .await?;
        self.hydrate_notifications(items, viewer).await
    }

    pub async fn notification(&self, viewer: Id, id: Id) -> CoreResult<NotificationView> {
        let n = self
            .store
            .notification(viewer, id)
            .await?
            .ok_or(CoreError::NotFound("notification"))?;
        self.hydrate_notifications(vec![n], viewer)
            .await?
            .pop()
            .ok_or(CoreError::NotFound("notification"))
    }

    pub async fn dismiss_notification(&self, viewer: Id, id: Id) -> CoreResult<()> {
        if self.store.dismiss_notification(viewer, id).await? {
            Ok(())
        } else {
            Err(CoreError::NotFound("notification"))
        }
    }

    pub async fn clear_notifications(&self, viewer: Id) -> CoreResult<()> {
        Ok(self.store.clear_notifications(viewer).await?)
    }

    /// Notifications newer than the `notifications` marker.
    pub async fn unread_notifications(&self, viewer: Id) -> CoreResult<i64> {
        let last_read = self
            .store
            .markers(viewer)
            .await?
            .into_iter()
            .find(|m| m.timeline == "notifications")
            .map(|m| m.last_read_id);
        Ok(self.store.count_notifications(viewer, last_read).await?)
    }

    pub async fn markers(&self, viewer: Id, timelines: &[String]) -> CoreResult<Vec<Marker>> {
        let all = self.store.markers(viewer).await?;
        Ok(all
            .into_iter()
            .filter(|m| timelines.is_empty() || timelines.contains(&m.timeline))
            .collect())
    }

    pub async fn set_marker(
        &self,
        viewer: Id,
        timeline: &str,
        last_read_id: Id,
    ) -> CoreResult<Marker> {
        if !MARKER_TIMELINES.contains(&timeline) {
            return Err(CoreError::Validation(format!(
                "Validation failed: unknown timeline {timeline}"
            )));
        }
        Ok(self
            .store
            .set_marker(viewer, timeline, last_read_id, now())
            .await?)
    }
}
