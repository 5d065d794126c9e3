//! Profile pictures across regions. A picture has the class of the profile it is on
//! (`public_content`), ruled by the account's home policy: under `store` this region keeps
//! a copy (fetched and admitted through the gate) and serves it itself; under `transit`
//! it links its relay, which fetches the bytes through the gate on each request and keeps
//! nothing; under `deny` there is no picture. Also the home's side: the file served to
//! another region's gate.

use super::media::blob_err;
use super::{Roost, RoostConfig};
use crate::id::Id;
use crate::media::*;
use crate::model::Account;
use crate::{CoreError, CoreResult};
use roost_residency::{Action, DataClass};

fn file_of(a: &Account, role: MediaRole) -> Option<&String> {
    match role {
        MediaRole::Avatar => a.avatar.as_ref(),
        MediaRole::Header => a.header.as_ref(),
        MediaRole::Attachment => None,
    }
}

/// `<sha256>.<ext>` split, when the name is one this region would build a path from.
pub(super) fn hash_and_ext(file: &str) -> Option<(&str, &str)> {
    let (hash, ext) = file.split_once('.')?;
    (is_hash(hash) && mime_of_extension(ext).is_some_and(|m| m.starts_with("image/")))
        .then_some((hash, ext))
}

impl RoostConfig {
    /// Where an account's avatar or header is linked; None means the placeholder. A local
    /// account's file and a kept copy (`store`) are public files of this region; under
    /// `transit` the link is this region's relay (`/media/t/profile/ACCOUNT/ROLE/FILE`, never under
    /// the CDN, which would keep a copy); under `deny` there is none.
    pub fn profile_picture_url(&self, a: &Account, role: MediaRole) -> Option<String> {
        let f = file_of(a, role)?;
        if a.home_region == self.region {
            return Some(format!("{}/{f}", self.public_media_base()));
        }
        match self
            .cluster
            .decide(&a.home_region, &self.region, DataClass::PublicContent)
            .action
        {
            Action::Store { .. } => Some(format!("{}/{f}", self.public_media_base())),
            Action::Transit => Some(format!(
                "{}/media/t/profile/{}/{}/{f}",
                self.base_url,
                a.id,
                role.as_str()
            )),
            Action::Deny => None,
        }
    }
}

impl Roost {
    /// A local account's avatar or header for another region's gate (which decides and
    /// records the crossing). Not for suspended accounts, whose actor shows no profile.
    pub async fn profile_picture_for_region(
        &self,
        account: Id,
        role: MediaRole,
    ) -> CoreResult<Vec<u8>> {
        let ports = self.media.as_ref().ok_or(CoreError::NotFound("media"))?;
        let a = self
            .store
            .account(account)
            .await?
            .filter(|a| self.is_local(a) && !a.suspended)
            .ok_or(CoreError::NotFound("media"))?;
        let (hash, _) = file_of(&a, role)
            .and_then(|f| hash_and_ext(f))
            .ok_or(CoreError::NotFound("media"))?;
        ports
            .blobs
            .get(hash)
            .await
            .map_err(blob_err)?
            .ok_or(CoreError::NotFound("media"))
    }

    /// Whether a picture relay link (`/media/t/profile/ACCOUNT/ROLE/FILE`) may be served: a
    /// foreign account's picture whose home lets this region show it only in transit.
    /// Returns the home region, the role, the file's hash and its type.
    pub fn check_picture_relay(
        &self,
        account: Id,
        role: &str,
        file: &str,
    ) -> CoreResult<(String, MediaRole, String, &'static str)> {
        let missing = || CoreError::NotFound("media");
        if self.media.is_none() || !self.is_foreign_id(account) {
            return Err(missing());
        }
        let role = MediaRole::parse(role)
            .filter(|r| *r != MediaRole::Attachment)
            .ok_or_else(missing)?;
        let (hash, ext) = hash_and_ext(file).ok_or_else(missing)?;
        let mime = mime_of_extension(ext).ok_or_else(missing)?;
        let region = self.region_of(account).ok_or_else(missing)?.to_string();
        let d = self
            .cfg
            .cluster
            .decide(&region, &self.cfg.region, DataClass::PublicContent);
        match d.action {
            Action::Transit => Ok((region, role, hash.to_string(), mime)),
            // A kept copy is served as a public file of this region, not relayed.
            Action::Store { .. } => Err(missing()),
            Action::Deny => Err(CoreError::PolicyDenied(format!(
                "Withheld by the residency policy ({})",
                d.rule()
            ))),
        }
    }

    /// A foreign account as its home's actor declares it: under `store`, each declared
    /// picture this region has no copy of is fetched through the gate, checked and kept,
    /// and a replaced or withdrawn one removed (its file too, once no row names it).
    /// Returns the account with the pictures it has here. Under `transit` and `deny`
    /// nothing is written. A picture that cannot be fetched is left out, not kept stale.
    pub async fn keep_profile_pictures(&self, mut declared: Account) -> CoreResult<Account> {
        if self.media.is_none() || self.is_local(&declared) {
            return Ok(declared);
        }
        let d = self.cfg.cluster.decide(
            &declared.home_region,
            &self.cfg.region,
            DataClass::PublicContent,
        );
        if !d.persist() {
            return Ok(declared);
        }
        let Some(stored) = self.store.account(declared.id).await? else {
            return Ok(declared);
        };
        for role in [MediaRole::Avatar, MediaRole::Header] {
            let want = file_of(&declared, role).cloned();
            let have = file_of(&stored, role).cloned();
            let kept = if want == have {
                have
            } else {
                let kept = match &want {
                    Some(f) => self.copy_picture(declared.id, role, f).await,
                    None => None,
                };
                let old = self
                    .store
                    .set_profile_file(declared.id, role, kept.as_deref())
                    .await?;
                if old != kept {
                    self.drop_profile_file(old).await?;
                }
                kept
            };
            match role {
                MediaRole::Avatar => declared.avatar = kept,
                _ => declared.header = kept,
            }
        }
        Ok(declared)
    }

    /// Fetches (through the remote port, which admits it) and stores one picture; the
    /// file name it is kept under, or None when it could not be had.
    async fn copy_picture(&self, account: Id, role: MediaRole, file: &str) -> Option<String> {
        let ports = self.media.as_ref()?;
        let (hash, ext) = hash_and_ext(file)?;
        let bytes = match self.remote.fetch_profile_picture(account, role, hash).await {
            Ok(b) => b?,
            Err(e) => {
                tracing::warn!(%account, role = role.as_str(), error = %e, "could not fetch a foreign profile picture");
                return None;
            }
        };
        // The name becomes a path and a served type: both checked against the bytes.
        let fits = content_hash(&bytes) == hash
            && ports
                .processor
                .check(&bytes, &ports.limits)
                .is_ok_and(|s| s.mime.starts_with("image/") && extension(&s.mime) == ext);
        if !fits {
            tracing::warn!(%account, role = role.as_str(), "foreign profile picture is not what its actor said; not kept");
            return None;
        }
        match ports.blobs.put(bytes).await {
            Ok(_) => Some(file.to_string()),
            Err(e) => {
                tracing::warn!(%account, error = %e, "could not store a foreign profile picture");
                None
            }
        }
    }

    /// Removes a profile picture's file that no row names any more.
    pub(crate) async fn drop_profile_file(&self, old: Option<String>) -> CoreResult<()> {
        let (Some(ports), Some(old)) = (&self.media, old) else {
            return Ok(());
        };
        let hash = old.split('.').next().unwrap_or_default();
        if is_hash(hash) && !self.store.blob_in_use(hash).await? {
            ports.blobs.delete(hash).await.map_err(blob_err)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::hash_and_ext;
    use crate::media::content_hash;

    #[test]
    fn only_hashes_with_image_extensions_name_pictures() {
        let h = content_hash(b"x");
        assert_eq!(hash_and_ext(&format!("{h}.png")), Some((h.as_str(), "png")));
        assert_eq!(hash_and_ext(&format!("{h}.mp4")), None);
        assert_eq!(hash_and_ext(&format!("{h}.bin")), None);
        assert_eq!(hash_and_ext("../../etc/passwd.png"), None);
        assert_eq!(hash_and_ext(&h), None);
    }
}
