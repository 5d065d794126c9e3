//! Foreign accounts: found by name (webfinger), fetched from their home, and kept here
//! as far as the home region's policy allows (the whole profile, or just the address).

use crate::ap::{self, Actor};
use crate::convert;
use crate::gate::Transfer;
use crate::service::{unavailable, Federation};
use roost_core::remote::{ForeignProfile, Remote};
use roost_core::{CoreError, CoreResult, Id};
use roost_residency::DataClass;

impl Federation {
    /// A foreign actor admitted through the gate: what the policy lets this region keep
    /// of it and show. Written by the core (`Roost::keep_foreign_profile`), not here.
    pub(crate) async fn admit_actor(
        &self,
        origin: &str,
        actor: &Actor,
        payload: &[u8],
        purpose: &str,
    ) -> CoreResult<ForeignProfile> {
        let id = convert::id_of_region(self.gate.cluster(), origin, &actor.id, "users")
            .ok_or(CoreError::NotFound("account"))?;
        if actor.home_region != origin {
            return Err(CoreError::NotFound("account"));
        }
        let d = self
            .gate
            .admit(
                origin,
                &Transfer {
                    counterpart: origin.into(),
                    class: DataClass::PublicContent,
                    subject: Some(id),
                    object: format!("account:{id}"),
                    purpose: purpose.into(),
                },
                payload,
            )
            .await
            .map_err(unavailable)?;
        let home_base = self.base_of(origin);
        Ok(ForeignProfile {
            kept: actor.to_account(id, d.persist(), &home_base),
            shown: actor.to_account(id, d.allowed(), &home_base),
            // The search opt-in goes with the profile: without it, only the address is kept.
            indexable: actor.indexable.map(|on| on && d.persist()),
        })
    }

    pub(crate) async fn resolve_account_at(
        &self,
        username: &str,
        region: &str,
    ) -> CoreResult<ForeignProfile> {
        let spec = self
            .gate
            .cluster()
            .region(region)
            .ok_or(CoreError::NotFound("account"))?;
        if !crate::valid_username(username) {
            return Err(CoreError::NotFound("account"));
        }
        let path = format!(
            "/.well-known/webfinger?resource=acct:{username}@{}",
            spec.domain()
        );
        let jrd = self.gate.fetch(region, &path).await.map_err(unavailable)?;
        let jrd: serde_json::Value =
            serde_json::from_slice(&jrd).map_err(|_| CoreError::NotFound("account"))?;
        let href = jrd["links"]
            .as_array()
            .and_then(|l| l.iter().find(|x| x["rel"] == "self"))
            .and_then(|x| x["href"].as_str())
            .ok_or(CoreError::NotFound("account"))?;
        let id =
            convert::account_id(self.gate.cluster(), href).ok_or(CoreError::NotFound("account"))?;
        match self.fetch_account(id).await {
            Err(CoreError::PolicyDenied(_)) => {
                // The profile may not come here, but the address may: keep just that.
                let a = ap::address_account(id, username, region);
                Ok(ForeignProfile {
                    kept: a.clone(),
                    shown: a,
                    indexable: None,
                })
            }
            r => r,
        }
    }

    pub(crate) async fn fetch_profile_picture_of(
        &self,
        account: Id,
        role: roost_core::media::MediaRole,
        hash: &str,
    ) -> CoreResult<Option<Vec<u8>>> {
        let region = self
            .home_of(account)
            .filter(|r| *r != self.region)
            .ok_or(CoreError::NotFound("account"))?;
        let file = ap::RegionFile::Picture(account, role);
        let bytes = self
            .gate
            .fetch_media(&region, &file)
            .await
            .map_err(unavailable)?;
        // Only the file the actor declared is admitted (and so ledgered as stored).
        if roost_core::media::content_hash(&bytes) != hash {
            tracing::warn!(%account, "foreign profile picture does not match its hash");
            return Ok(None);
        }
        let t = Transfer {
            counterpart: region.clone(),
            class: DataClass::PublicContent,
            subject: Some(account),
            object: file.object(),
            purpose: "receive profile picture".into(),
        };
        let d = self
            .gate
            .admit(&region, &t, &bytes)
            .await
            .map_err(unavailable)?;
        Ok(d.persist().then_some(bytes))
    }

    pub(crate) async fn fetch_actor(&self, id: Id) -> CoreResult<ForeignProfile> {
        let region = self
            .home_of(id)
            .filter(|r| *r != self.region)
            .ok_or(CoreError::NotFound("account"))?;
        let bytes = self
            .gate
            .fetch(&region, &format!("/ap/users/{id}"))
            .await
            .map_err(unavailable)?;
        let actor: Actor =
            serde_json::from_slice(&bytes).map_err(|_| CoreError::NotFound("account"))?;
        self.admit_actor(&region, &actor, &bytes, "fetch actor")
            .await
    }
}
