//! A foreign post's attachments, kept here when its home's policy says `store`: each file
//! is fetched through the gate from the home region (whose gate records the `sent`
//! entry), checked against the SHA-256 its note declared, admitted (the `stored` entry
//! carries that hash, the inventory its retention deadline) and only then written.

use crate::ap::{Note, RegionFile};
use crate::gate::Transfer;
use crate::routes::{FedError, FedState};
use roost_core::media::{ForeignMedia, MediaKind};
use roost_core::Id;
use roost_residency::DataClass;

/// A post has at most this many attachments; a note naming more is cut short.
const MAX_ATTACHMENTS: usize = 4;

pub(crate) async fn keep_attachments(
    s: &FedState,
    origin: &str,
    note: &Note,
    status: Id,
    author: Id,
    class: DataClass,
) -> Result<(), FedError> {
    let cluster = s.fed.gate.cluster();
    for a in note.attachment.iter().take(MAX_ATTACHMENTS) {
        let Ok(id) = a.id.parse::<Id>() else { continue };
        // A region speaks only for its own media.
        if cluster
            .region_by_number(id.region())
            .map(|r| r.code.as_str())
            != Some(origin)
        {
            continue;
        }
        let Some(kind) = MediaKind::parse(&a.media_kind) else {
            continue;
        };
        let file = RegionFile::Attachment(id);
        let bytes = match s.fed.gate.fetch_media(origin, &file).await {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(media = %id, error = %e, "could not fetch a foreign post's media");
                continue;
            }
        };
        if roost_core::media::content_hash(&bytes) != a.sha256 {
            tracing::warn!(media = %id, "foreign media does not match its hash; not kept");
            continue;
        }
        let t = Transfer {
            counterpart: origin.to_string(),
            class,
            subject: Some(author),
            object: file.object(),
            purpose: "receive media".into(),
        };
        let d = s.fed.gate.admit(origin, &t, &bytes).await?;
        if !d.persist() {
            continue;
        }
        let f = ForeignMedia {
            id,
            kind,
            mime: a.media_type.clone(),
            sha256: a.sha256.clone(),
            description: a.name.clone().unwrap_or_default(),
            focus: a.focus.unwrap_or((0.0, 0.0)),
            size: a.width.zip(a.height),
            blurhash: a.blurhash.clone(),
        };
        match s
            .roost
            .receive_media(status, author, f, bytes.clone())
            .await
        {
            Ok(()) => {}
            // Refused before anything was written: the ledger and the inventory say so.
            Err(e @ roost_core::CoreError::Validation(_)) => {
                tracing::warn!(media = %id, error = %e, "foreign media refused");
                s.fed
                    .gate
                    .drop_admitted(origin, &t, &bytes, &d, &format!("refused ({e})"))
                    .await?;
            }
            Err(e) => tracing::warn!(media = %id, error = %e, "foreign media not kept"),
        }
    }
    Ok(())
}
