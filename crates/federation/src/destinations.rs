//! What goes where: the region each ID names, and which regions an item goes to under
//! the residency policy.

use crate::ap::Activity;
use crate::service::Federation;
use roost_core::model::*;
use roost_core::{CoreResult, Id};
use roost_residency::{Action, DataClass};
use std::collections::BTreeSet;

/// Whether `home` lets `reader` see some of its users' posts only in transit.
pub(crate) fn transit_from(cluster: &roost_residency::Cluster, home: &str, reader: &str) -> bool {
    [DataClass::PublicContent, DataClass::PrivateContent]
        .iter()
        .any(|c| cluster.decide(home, reader, *c).action == Action::Transit)
}

impl Federation {
    pub(crate) fn base_of(&self, region: &str) -> String {
        self.gate
            .cluster()
            .region(region)
            .map(|r| r.base_url.clone())
            .unwrap_or_else(|| self.base.clone())
    }

    pub(crate) fn home_of(&self, id: Id) -> Option<String> {
        self.gate
            .cluster()
            .region_by_number(id.region())
            .map(|r| r.code.clone())
    }

    /// Regions a status by a local author goes to, besides this one.
    pub(crate) async fn status_destinations(
        &self,
        s: &Status,
        mentions: &[Id],
    ) -> CoreResult<BTreeSet<String>> {
        let mut out = BTreeSet::new();
        if s.visibility != Visibility::Direct {
            out.extend(
                self.store
                    .follower_regions(s.account_id, &self.region)
                    .await?,
            );
        }
        let mut others: Vec<Id> = mentions.to_vec();
        if let Some(a) = s.in_reply_to_account_id {
            others.push(a);
        }
        for id in [s.reblog_of_id, s.quote_of_id].into_iter().flatten() {
            others.push(id);
        }
        for id in others {
            if let Some(r) = self.home_of(id) {
                out.insert(r);
            }
        }
        out.remove(&self.region);
        Ok(out)
    }

    /// Items for the destinations whose policy lets them keep it. Under `transit` the
    /// receiver fetches live instead; under `deny` nothing goes (the user was told).
    pub(crate) fn fan(
        &self,
        dests: &BTreeSet<String>,
        class: DataClass,
        subject: Id,
        object: &str,
        purpose: &str,
        body: &Activity,
    ) -> CoreResult<Vec<OutboxItem>> {
        dests
            .iter()
            .filter(|d| self.gate.decide(d, class).persist())
            .map(|d| self.item(d, class, Some(subject), object.to_string(), purpose, body))
            .collect()
    }
}
