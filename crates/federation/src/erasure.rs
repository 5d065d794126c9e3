//! An erased account across regions. The home tells every region its ledger names the
//! account with (a `Delete` of the Person, through the outbox and the gate); each told
//! region removes all it holds of them and answers with a `roost:Erased` from its own
//! actor (through its outbox and gate: signed, and a `sent` entry in its ledger); the
//! home records the answer (a `stored` entry, matched by the audit against that send)
//! and marks the region as acknowledged in its erasure record.

use crate::ap;
use crate::gate::Transfer;
use crate::routes::{FedError, FedState};
use crate::service::Federation;
use axum::http::StatusCode;
use roost_core::model::OutboxItem;
use roost_core::{CoreError, CoreResult, Id};
use roost_residency::DataClass;
use std::collections::BTreeSet;

/// The ack's type: a region's own statement, like `roost:Views`.
pub(crate) const ERASED: &str = "roost:Erased";

/// The ledger object both ends name an erasure's messages with.
fn object(account: Id) -> String {
    format!("erasure:{account}")
}

/// The class a Delete of the Person travels as: `public_content` (it retracts the
/// profile and everything under it), else the first class the policy lets go there (a
/// region that kept only a follow or a like may be told under `social_graph` or
/// `engagement`). None when nothing of the user may go there at all.
fn delete_class(fed: &Federation, region: &str) -> Option<DataClass> {
    [
        DataClass::PublicContent,
        DataClass::SocialGraph,
        DataClass::Engagement,
        DataClass::PrivateContent,
    ]
    .into_iter()
    .find(|c| fed.gate.decide(region, *c).allowed())
}

impl Federation {
    /// Regions to tell of an erasure: every other region a ledger entry about the account
    /// names (whatever went or came back), and those of the accounts it follows or that
    /// follow it (an address needs no entry), as far as the policy lets anything go.
    pub(crate) async fn erasure_regions_of(&self, account: Id) -> CoreResult<Vec<String>> {
        let mut out = BTreeSet::new();
        let ledger = self.gate.ledger();
        for index in self.store.ledger_indices_about(account).await? {
            let entry = ledger
                .entry(index)
                .await
                .map_err(|e| CoreError::Internal(e.to_string()))?;
            if let Some(e) = entry {
                out.insert(e.counterpart);
            }
        }
        out.extend(self.store.follower_regions(account, &self.region).await?);
        for a in self.store.followed_foreign(account, &self.region).await? {
            out.insert(a.home_region);
        }
        out.remove(&self.region);
        Ok(out
            .into_iter()
            .filter(|r| self.gate.cluster().region(r).is_some() && delete_class(self, r).is_some())
            .collect())
    }

    /// The `Delete` of the Person, one outbox item per told region. The account's rows
    /// are gone: its address is built from what the event carries.
    pub(crate) fn erasure_items(
        &self,
        account: Id,
        username: &str,
        regions: &[String],
        moved_to: Option<&(Id, String)>,
    ) -> CoreResult<Vec<OutboxItem>> {
        let who = ap::address_account(account, username, &self.region);
        let mut act = self.activity(
            "Delete",
            self.fresh_activity_id()?,
            &who,
            serde_json::json!(ap::actor_uri(&self.base, account)),
        );
        act.moved_to = moved_to.map(|(id, region)| ap::actor_uri(&self.base_of(region), *id));
        regions
            .iter()
            .filter_map(|r| {
                let class = delete_class(self, r)?;
                Some(self.item(
                    r,
                    class,
                    Some(account),
                    object(account),
                    "deliver Delete Person",
                    &act,
                ))
            })
            .collect()
    }

    /// Queues the acknowledgement of `home`'s erasure of its user `account`.
    async fn acknowledge(&self, home: &str, account: Id) -> CoreResult<()> {
        let body = serde_json::json!({
            "@context": ap::AS_CONTEXT,
            "id": self.fresh_activity_id()?,
            "type": ERASED,
            "actor": format!("{}/ap/actor", self.base),
            "object": ap::actor_uri(&self.base_of(home), account),
        });
        // No person's data in it but the ID it answers about; its subject is the home's
        // own user, so the home's rule (always `store` at home) decides it.
        let item = self.item(
            home,
            DataClass::Aggregate,
            Some(account),
            object(account),
            "acknowledge erasure",
            &body,
        )?;
        self.store.enqueue(&[item]).await?;
        self.outbox_wake.notify_one();
        Ok(())
    }
}

/// A `Delete` of its own Person from `origin`: everything of the account goes here, then
/// the acknowledgement is queued.
pub(crate) async fn receive_delete_person(
    s: &FedState,
    origin: &str,
    account: Id,
    moved_to: Option<Id>,
) -> Result<(), FedError> {
    match moved_to {
        Some(new) => s.roost.receive_moved_erasure(account, new, origin).await?,
        None => s.roost.receive_erasure(account, origin).await?,
    }
    s.fed.acknowledge(origin, account).await?;
    Ok(())
}

/// A `roost:Erased` from `origin` about one of this region's erased accounts: recorded in
/// the ledger, then in the erasure record. Only a region that was told may answer.
pub(crate) async fn receive_ack(
    s: &FedState,
    origin: &str,
    account: Id,
    raw: &[u8],
) -> Result<(), FedError> {
    let told = s
        .roost
        .erasure(account)
        .await?
        .and_then(|e| e.regions.into_iter().find(|r| r.region == origin));
    let Some(told) = told else {
        return Err(FedError(
            StatusCode::FORBIDDEN,
            "no erasure of this account was sent to the region".into(),
        ));
    };
    if told.acknowledged_at.is_some() {
        return Ok(());
    }
    let t = Transfer {
        counterpart: origin.to_string(),
        class: DataClass::Aggregate,
        subject: Some(account),
        object: object(account),
        purpose: "receive erasure acknowledgement".into(),
    };
    let index = s.fed.gate.record_receipt(&t, raw).await?;
    s.roost.record_erasure_ack(account, origin, index).await?;
    Ok(())
}
