//! Direct threads as each participant sees them (Mastodon's conversations).

use super::hydrate::StatusView;
use super::{clamp_page, Roost};
use crate::id::Id;
use crate::model::{Account, Conversation, Page};
use crate::{CoreError, CoreResult};
use std::collections::HashMap;

#[derive(Debug, Clone)]
pub struct ConversationView {
    pub conversation: Conversation,
    /// The other participants that can be shown.
    pub accounts: Vec<Account>,
    /// None once deleted, or if the viewer may no longer see it.
    pub last_status: Option<StatusView>,
}

impl Roost {
    /// Views of conversations with their participants and last statuses, batched.
    pub async fn conversation_views(
        &self,
        me: Id,
        items: Vec<Conversation>,
    ) -> CoreResult<Vec<ConversationView>> {
        let mut people: Vec<Id> = items.iter().flat_map(|c| c.participants.clone()).collect();
        people.sort_unstable();
        people.dedup();
        let accounts: HashMap<Id, Account> = self
            .accounts(&people)
            .await?
            .into_iter()
            .map(|a| (a.id, a))
            .collect();
        let last: Vec<Id> = items.iter().filter_map(|c| c.last_status_id).collect();
        let statuses: HashMap<Id, StatusView> = self
            .statuses(&last, Some(me))
            .await?
            .into_iter()
            .map(|v| (v.status.id, v))
            .collect();
        Ok(items
            .into_iter()
            .map(|c| ConversationView {
                accounts: c
                    .participants
                    .iter()
                    .filter_map(|a| accounts.get(a).cloned())
                    .collect(),
                last_status: c.last_status_id.and_then(|s| statuses.get(&s).cloned()),
                conversation: c,
            })
            .collect())
    }

    pub async fn conversations(
        &self,
        me: Id,
        page: Page,
    ) -> CoreResult<(Vec<ConversationView>, Option<(Id, Id)>)> {
        let items = self.store.conversations(me, clamp_page(page)).await?;
        let bounds = items
            .first()
            .zip(items.last())
            .map(|(f, l)| (f.last_id, l.last_id));
        Ok((self.conversation_views(me, items).await?, bounds))
    }

    pub async fn read_conversation(&self, me: Id, id: Id) -> CoreResult<ConversationView> {
        if !self.store.mark_conversation_read(me, id).await? {
            return Err(CoreError::NotFound("conversation"));
        }
        let c = self
            .store
            .conversation(me, id)
            .await?
            .ok_or(CoreError::NotFound("conversation"))?;
        Ok(self.conversation_views(me, vec![c]).await?.remove(0))
    }

    pub async fn delete_conversation(&self, me: Id, id: Id) -> CoreResult<()> {
        if self.store.delete_conversation(me, id).await? {
            Ok(())
        } else {
            Err(CoreError::NotFound("conversation"))
        }
    }
}
