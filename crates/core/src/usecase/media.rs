//! Uploads and attachments: accepting a file (type and limits checked on the request
//! path, processing off it on the media pool), describing it, attaching it to a post,
//! profile pictures, and deciding who may fetch which file.
//!
//! URLs: media of public and unlisted posts and profile pictures are served at stable,
//! content-addressed URLs (`/media/<sha256>.<ext>`, or under the CDN). Everything else —
//! unattached uploads, followers-only and direct posts — only at URLs signed for one
//! viewer with an expiry, checked again against the post's visibility when fetched.

use super::{now, Roost};
use crate::id::Id;
use crate::media::*;
use crate::model::{Account, Status, Visibility};
use crate::store::StoreError;
use crate::{CoreError, CoreResult};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// What the media use cases need from outside core.
#[derive(Clone)]
pub struct MediaPorts {
    pub processor: Arc<dyn MediaProcessor>,
    pub blobs: Arc<dyn BlobStore>,
    pub signer: UrlSigner,
    pub limits: MediaLimits,
}

/// An attachment with the URLs its viewer may use (None while processing).
#[derive(Debug, Clone)]
pub struct MediaView {
    pub attachment: MediaAttachment,
    pub url: Option<String>,
    pub preview_url: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Upload {
    pub bytes: Vec<u8>,
    pub description: Option<String>,
    /// Mastodon's `focus`: `"x,y"`, each in -1.0..=1.0.
    pub focus: Option<String>,
}

/// Which file a `/media/...` request names.
#[derive(Debug, Clone)]
pub enum FileKey {
    /// `/media/<hash>.<ext>`: served only when something public names it.
    Public { hash: String },
    /// `/media/p/<media>/<variant>/<viewer>/<expires>/<sig>`.
    Signed {
        media: Id,
        variant: String,
        viewer: Id,
        expires: i64,
        sig: String,
    },
}

/// A file the caller may be sent.
#[derive(Debug, Clone)]
pub struct ServedFile {
    pub hash: String,
    pub mime: String,
    /// Public files may be cached by anyone; private ones only by the viewer.
    pub public: bool,
}

fn unavailable() -> CoreError {
    CoreError::Validation("Validation failed: media uploads are not enabled".into())
}

fn from_media(e: MediaError) -> CoreError {
    match e {
        MediaError::TooLarge(m) => CoreError::TooLarge(m),
        MediaError::Unsupported(m) | MediaError::TooManyPixels(m) | MediaError::Corrupt(m) => {
            CoreError::Validation(m)
        }
        MediaError::Backend(m) => CoreError::Internal(m),
    }
}

pub(super) fn blob_err(e: BlobError) -> CoreError {
    CoreError::Internal(e.to_string())
}

pub(crate) fn parse_focus(s: &str) -> CoreResult<(f64, f64)> {
    let bad = || {
        CoreError::Validation(
            "Validation failed: Focus must be two numbers from -1.0 to 1.0".into(),
        )
    };
    let (x, y) = s.split_once(',').ok_or_else(bad)?;
    let x: f64 = x.trim().parse().map_err(|_| bad())?;
    let y: f64 = y.trim().parse().map_err(|_| bad())?;
    if !(-1.0..=1.0).contains(&x) || !(-1.0..=1.0).contains(&y) {
        return Err(bad());
    }
    Ok((x, y))
}

impl Roost {
    /// Sets up uploads (the server does, with the region's processor and blob store).
    pub fn with_media(mut self, ports: MediaPorts) -> Roost {
        self.media = Some(ports);
        self
    }

    /// The limits in force (advertised by the instance documents).
    pub fn media_limits(&self) -> Option<&MediaLimits> {
        self.media.as_ref().map(|m| &m.limits)
    }

    fn ports(&self) -> CoreResult<&MediaPorts> {
        self.media.as_ref().ok_or_else(unavailable)
    }

    fn check_description(&self, d: &str) -> CoreResult<()> {
        let limit = self.ports()?.limits.description_limit;
        if d.chars().count() > limit {
            return Err(CoreError::Validation(format!(
                "Validation failed: Description is too long (maximum is {limit} characters)"
            )));
        }
        Ok(())
    }

    /// Accepts an upload: the type and limits are checked now (413/422), processing runs
    /// on the media pool. Waits for it at most `wait` (None: until done); the view has no
    /// URL if it is still processing.
    pub async fn upload_media(
        &self,
        me: &Account,
        up: Upload,
        wait: Option<Duration>,
    ) -> CoreResult<MediaView> {
        self.upload(me, up, MediaRole::Attachment, wait).await
    }

    async fn upload(
        &self,
        me: &Account,
        up: Upload,
        role: MediaRole,
        wait: Option<Duration>,
    ) -> CoreResult<MediaView> {
        let ports = self.ports()?.clone();
        let sniffed = ports
            .processor
            .check(&up.bytes, &ports.limits)
            .map_err(from_media)?;
        let description = up.description.unwrap_or_default();
        self.check_description(&description)?;
        let focus = match up.focus.as_deref().filter(|f| !f.trim().is_empty()) {
            Some(f) => parse_focus(f)?,
            None => (0.0, 0.0),
        };
        let row = MediaAttachment {
            id: self.next_id()?,
            account_id: me.id,
            status_id: None,
            role,
            kind: sniffed.kind,
            file: None,
            preview: None,
            size: None,
            small: None,
            blurhash: None,
            description,
            focus,
            position: 0,
            created_at: now(),
        };
        self.store.create_media(&row).await?;
        let store = self.store.clone();
        let id = row.id;
        let job = tokio::spawn(async move {
            let r = process(&ports, store.as_ref(), row, up.bytes).await;
            if let Err(e) = &r {
                tracing::info!(media = %id, error = %e, "upload failed processing; removed");
                let _ = store.delete_media(id).await;
            }
            r
        });
        let done = match wait {
            None => Some(job.await),
            Some(d) => tokio::time::timeout(d, job).await.ok(),
        };
        match done {
            Some(Ok(Ok(m))) => Ok(self.media_view_for(m, Some(me.id), None)),
            Some(Ok(Err(e))) => Err(e),
            Some(Err(e)) => Err(CoreError::Internal(format!("media task: {e}"))),
            None => {
                let m = self
                    .store
                    .media(id)
                    .await?
                    .ok_or(CoreError::NotFound("media"))?;
                Ok(self.media_view_for(m, Some(me.id), None))
            }
        }
    }

    /// One's own upload (404 for anyone else's).
    pub async fn own_media(&self, me: &Account, id: Id) -> CoreResult<MediaView> {
        let m = self.own_media_row(me, id).await?;
        let visibility = self.visibility_of(&m).await?;
        Ok(self.media_view_for(m, Some(me.id), visibility))
    }

    async fn own_media_row(&self, me: &Account, id: Id) -> CoreResult<MediaAttachment> {
        match self.store.media(id).await? {
            Some(m) if m.account_id == me.id && m.role == MediaRole::Attachment => Ok(m),
            _ => Err(CoreError::NotFound("media")),
        }
    }

    async fn visibility_of(&self, m: &MediaAttachment) -> CoreResult<Option<Visibility>> {
        Ok(match m.status_id {
            Some(s) => self.store.status(s).await?.map(|s| s.visibility),
            None => None,
        })
    }

    pub async fn update_media(
        &self,
        me: &Account,
        id: Id,
        description: Option<String>,
        focus: Option<String>,
    ) -> CoreResult<MediaView> {
        self.own_media_row(me, id).await?;
        if let Some(d) = &description {
            self.check_description(d)?;
        }
        let focus = match focus.as_deref().filter(|f| !f.trim().is_empty()) {
            Some(f) => Some(parse_focus(f)?),
            None => None,
        };
        let m = self
            .store
            .update_media(id, description.as_deref(), focus)
            .await?
            .ok_or(CoreError::NotFound("media"))?;
        let visibility = self.visibility_of(&m).await?;
        Ok(self.media_view_for(m, Some(me.id), visibility))
    }

    /// Deletes an upload not on any post (422 once attached, as Mastodon).
    pub async fn delete_media(&self, me: &Account, id: Id) -> CoreResult<MediaView> {
        let m = self.own_media_row(me, id).await?;
        if m.status_id.is_some() {
            return Err(CoreError::Validation(
                "Validation failed: Media attachment is currently used by a status".into(),
            ));
        }
        let view = self.media_view_for(m, Some(me.id), None);
        if let Some(gone) = self.store.delete_media(id).await? {
            self.drop_blobs(&gone).await?;
        }
        Ok(view)
    }

    /// The uploads a new post names: at most four, the author's own, processed and on no
    /// other post (422 otherwise).
    pub(crate) async fn check_attachable(&self, me: &Account, ids: &[Id]) -> CoreResult<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let limits = self.ports()?.limits;
        if ids.len() > limits.max_attachments {
            return Err(CoreError::Validation(format!(
                "Validation failed: Media attachments can't be more than {}",
                limits.max_attachments
            )));
        }
        let mut seen = std::collections::HashSet::new();
        for id in ids {
            if !seen.insert(*id) {
                return Err(CoreError::Validation(
                    "Validation failed: the same media is attached twice".into(),
                ));
            }
            let m = self.store.media(*id).await?;
            match m {
                Some(m) if m.account_id == me.id && m.role == MediaRole::Attachment => {
                    if m.status_id.is_some() {
                        return Err(CoreError::Validation(
                            "Validation failed: media is already attached to a post".into(),
                        ));
                    }
                    if !m.is_ready() {
                        return Err(CoreError::Validation(
                            "Validation failed: media is still being processed".into(),
                        ));
                    }
                }
                _ => {
                    return Err(CoreError::Validation(
                        "Validation failed: media not found".into(),
                    ))
                }
            }
        }
        Ok(())
    }

    /// Attaches checked uploads; Validation if another request took one meanwhile.
    pub(crate) async fn attach(&self, status: Id, me: &Account, ids: &[Id]) -> CoreResult<()> {
        match self.store.attach_media(status, me.id, ids).await {
            Ok(()) => Ok(()),
            Err(StoreError::Conflict(_)) => Err(CoreError::Validation(
                "Validation failed: media is already attached to a post".into(),
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// `media_attributes[]` of an edit: description and focus of the post's own media.
    pub(crate) async fn update_attached(
        &self,
        status: Id,
        attributes: &[(Id, Option<String>, Option<String>)],
    ) -> CoreResult<()> {
        for (id, description, focus) in attributes {
            match self.store.media(*id).await? {
                Some(m) if m.status_id == Some(status) => {}
                _ => {
                    return Err(CoreError::Validation(
                        "Validation failed: media is not on this post".into(),
                    ))
                }
            }
            if let Some(d) = description {
                self.check_description(d)?;
            }
            let focus = match focus.as_deref().filter(|f| !f.trim().is_empty()) {
                Some(f) => Some(parse_focus(f)?),
                None => None,
            };
            self.store
                .update_media(*id, description.as_deref(), focus)
                .await?;
        }
        Ok(())
    }

    /// After rows went away: removes their files that nothing names any more.
    pub(crate) async fn drop_blobs(&self, gone: &MediaAttachment) -> CoreResult<()> {
        let Some(ports) = &self.media else {
            return Ok(());
        };
        for b in [&gone.file, &gone.preview].into_iter().flatten() {
            if !self.store.blob_in_use(&b.hash).await? {
                ports.blobs.delete(&b.hash).await.map_err(blob_err)?;
            }
        }
        Ok(())
    }

    /// Attachments of a page's statuses (read with its bundle), with URLs for `viewer`.
    pub(crate) fn media_by_status(
        &self,
        statuses: &HashMap<Id, Status>,
        rows: Vec<MediaAttachment>,
        viewer: Option<Id>,
    ) -> HashMap<Id, Vec<MediaView>> {
        let mut out: HashMap<Id, Vec<MediaView>> = HashMap::new();
        if self.media.is_none() {
            return out;
        }
        for m in rows {
            let Some(sid) = m.status_id else { continue };
            let visibility = statuses.get(&sid).map(|s| s.visibility);
            let v = self.media_view_for(m, viewer, visibility);
            out.entry(sid).or_default().push(v);
        }
        out
    }

    fn public_url(&self, b: &Blob) -> String {
        let base = self.cfg.public_media_base();
        format!("{base}/{}.{}", b.hash, extension(&b.mime))
    }

    fn signed_url(
        &self,
        m: &MediaAttachment,
        variant: &str,
        b: &Blob,
        viewer: Id,
    ) -> Option<String> {
        let ports = self.media.as_ref()?;
        let (exp, sig) = ports.signer.sign(m.id, variant, viewer, now());
        Some(format!(
            "{}/media/p/{}/{variant}/{}/{exp}/{sig}.{}",
            self.cfg.base_url,
            m.id,
            viewer,
            extension(&b.mime)
        ))
    }

    /// URLs: stable for public posts' media, signed for `viewer` otherwise (none for an
    /// anonymous viewer of private media, who could not see the post anyway).
    pub(crate) fn media_view_for(
        &self,
        m: MediaAttachment,
        viewer: Option<Id>,
        visibility: Option<Visibility>,
    ) -> MediaView {
        let public = visibility.is_some_and(|v| v.is_public());
        let url_of = |variant: &str, b: &Option<Blob>| -> Option<String> {
            let b = b.as_ref()?;
            if public {
                Some(self.public_url(b))
            } else {
                self.signed_url(&m, variant, b, viewer?)
            }
        };
        let url = url_of("original", &m.file);
        // A kept copy of another region's image has no preview of its own.
        let preview_url = if m.preview.is_none() && m.kind == MediaKind::Image {
            url.clone()
        } else {
            url_of("small", &m.preview)
        };
        MediaView {
            attachment: m,
            url,
            preview_url,
        }
    }

    /// Sets the avatar or header from an uploaded image (processed before answering).
    pub async fn set_profile_picture(
        &self,
        me: &Account,
        role: MediaRole,
        bytes: Vec<u8>,
    ) -> CoreResult<()> {
        let ports = self.ports()?.clone();
        let sniffed = ports
            .processor
            .check(&bytes, &ports.limits)
            .map_err(from_media)?;
        if !sniffed.mime.starts_with("image/") {
            return Err(CoreError::Validation(
                "Validation failed: Avatar and header must be images".into(),
            ));
        }
        let p = ports
            .processor
            .process(bytes, &ports.limits)
            .await
            .map_err(from_media)?;
        let (bytes, mime) = p.original;
        let hash = ports.blobs.put(bytes).await.map_err(blob_err)?;
        let file = format!("{hash}.{}", extension(&mime));
        let old = self
            .store
            .set_profile_file(me.id, role, Some(&file))
            .await?;
        self.drop_profile_file(old.filter(|o| *o != file)).await
    }

    /// Whether this request may have the file: public files when something public names
    /// them; signed ones when the signature holds, has not expired, and the viewer it
    /// names may still see the post (or owns the unattached upload). 403 for a bad
    /// signature, 404 for the rest.
    pub async fn media_file(&self, key: FileKey) -> CoreResult<ServedFile> {
        let ports = self.ports()?;
        match key {
            FileKey::Public { hash } => {
                if !is_hash(&hash) {
                    return Err(CoreError::NotFound("media"));
                }
                let mime = self
                    .store
                    .public_blob(&hash)
                    .await?
                    .ok_or(CoreError::NotFound("media"))?;
                Ok(ServedFile {
                    hash,
                    mime,
                    public: true,
                })
            }
            FileKey::Signed {
                media,
                variant,
                viewer,
                expires,
                sig,
            } => {
                if !ports
                    .signer
                    .verify(media, &variant, viewer, expires, &sig, now())
                {
                    return Err(CoreError::Forbidden(
                        "This link has expired or is not valid".into(),
                    ));
                }
                let m = self
                    .store
                    .media(media)
                    .await?
                    .ok_or(CoreError::NotFound("media"))?;
                let allowed = match m.status_id {
                    Some(s) => self
                        .store
                        .visible_ids(Some(viewer), &[s])
                        .await?
                        .contains(&s),
                    None => m.account_id == viewer,
                };
                if !allowed {
                    return Err(CoreError::NotFound("media"));
                }
                let b = match variant.as_str() {
                    "original" => m.file,
                    "small" => m.preview,
                    _ => None,
                }
                .ok_or(CoreError::NotFound("media"))?;
                Ok(ServedFile {
                    hash: b.hash,
                    mime: b.mime,
                    public: false,
                })
            }
        }
    }

    /// A home region's file for another region's gate: the attachment's post (whose
    /// class rules the transfer) and the bytes. Only files on this region's own posts.
    pub async fn media_for_region(&self, id: Id) -> CoreResult<(Status, Vec<u8>)> {
        let ports = self.ports()?;
        let m = self
            .store
            .media(id)
            .await?
            .filter(|m| !self.is_foreign_id(m.id))
            .ok_or(CoreError::NotFound("media"))?;
        let status = match m.status_id {
            Some(s) => self.store.status(s).await?,
            None => None,
        }
        .ok_or(CoreError::NotFound("media"))?;
        let file = m.file.ok_or(CoreError::NotFound("media"))?;
        let bytes = ports
            .blobs
            .get(&file.hash)
            .await
            .map_err(blob_err)?
            .ok_or(CoreError::NotFound("media"))?;
        Ok((status, bytes))
    }

    /// A foreign post's file, fetched through the gate and admitted by it: checked
    /// against the hash and type its note declared, then kept with its row.
    pub async fn receive_media(
        &self,
        status: Id,
        author: Id,
        f: ForeignMedia,
        bytes: Vec<u8>,
    ) -> CoreResult<()> {
        let ports = self.ports()?.clone();
        if content_hash(&bytes) != f.sha256 {
            return Err(CoreError::Validation(
                "media does not match its hash".into(),
            ));
        }
        let sniffed = ports
            .processor
            .check(&bytes, &ports.limits)
            .map_err(from_media)?;
        if sniffed.mime != f.mime {
            return Err(CoreError::Validation(
                "media is not of its declared type".into(),
            ));
        }
        if self.store.media(f.id).await?.is_some() {
            return Ok(());
        }
        let size = bytes.len() as u64;
        let hash = ports.blobs.put(bytes).await.map_err(blob_err)?;
        let row = MediaAttachment {
            id: f.id,
            account_id: author,
            status_id: Some(status),
            role: MediaRole::Attachment,
            kind: f.kind,
            file: None,
            preview: None,
            size: None,
            small: None,
            blurhash: None,
            description: f.description,
            focus: f.focus,
            position: 0,
            created_at: now(),
        };
        self.store.create_media(&row).await?;
        let done = MediaAttachment {
            file: Some(Blob {
                hash,
                mime: f.mime,
                size,
            }),
            size: f.size,
            blurhash: f.blurhash,
            ..row
        };
        self.store.finish_media(&done).await?;
        Ok(())
    }

    /// A post fetched live (`transit`) with its files linked through this region's relay
    /// (`/media/t/...`), signed for the viewer: the bytes pass through, nothing is kept.
    pub(crate) fn transit_view_for(
        &self,
        mut t: crate::remote::TransitStatus,
        viewer: Option<Id>,
    ) -> super::StatusView {
        let media = std::mem::take(&mut t.media);
        let status = t.status.id;
        let author = t.author.id;
        let mut view = super::transit_view(t, viewer.is_some());
        let Some(ports) = &self.media else {
            return view;
        };
        // Anonymous readers see only public posts; their links name no one.
        let who = viewer.unwrap_or(Id(0));
        for f in media {
            let ext = extension(&f.mime);
            let (exp, sig) = ports
                .signer
                .sign(f.id, &format!("transit.{ext}"), who, now());
            let url = format!(
                "{}/media/t/{}/{who}/{exp}/{sig}.{ext}",
                self.cfg.base_url, f.id
            );
            view.media.push(MediaView {
                attachment: MediaAttachment {
                    id: f.id,
                    account_id: author,
                    status_id: Some(status),
                    role: MediaRole::Attachment,
                    kind: f.kind,
                    file: Some(Blob {
                        hash: f.sha256,
                        mime: f.mime,
                        size: 0,
                    }),
                    preview: None,
                    size: f.size,
                    small: None,
                    blurhash: f.blurhash,
                    description: f.description,
                    focus: f.focus,
                    position: 0,
                    created_at: now(),
                },
                preview_url: (f.kind == MediaKind::Image).then(|| url.clone()),
                url: Some(url),
            });
        }
        view
    }

    /// Whether a relay link is good: signed by this region for `viewer`, unexpired, and
    /// naming a file of another region. Returns that region and the file's type.
    pub fn check_relay(
        &self,
        media: Id,
        viewer: Id,
        expires: i64,
        sig_and_ext: &str,
    ) -> CoreResult<(String, &'static str)> {
        let ports = self.ports()?;
        let (sig, ext) = sig_and_ext
            .split_once('.')
            .ok_or(CoreError::NotFound("media"))?;
        let mime = mime_of_extension(ext).ok_or(CoreError::NotFound("media"))?;
        if !ports.signer.verify(
            media,
            &format!("transit.{ext}"),
            viewer,
            expires,
            sig,
            now(),
        ) {
            return Err(CoreError::Forbidden(
                "This link has expired or is not valid".into(),
            ));
        }
        if !self.is_foreign_id(media) {
            return Err(CoreError::NotFound("media"));
        }
        let region = self
            .region_of(media)
            .ok_or(CoreError::NotFound("media"))?
            .to_string();
        Ok((region, mime))
    }

    /// Length of a stored file.
    pub async fn blob_size(&self, hash: &str) -> CoreResult<Option<u64>> {
        self.ports()?.blobs.size(hash).await.map_err(blob_err)
    }

    /// Bytes `start..=end` of a stored file.
    pub async fn blob_range(&self, hash: &str, start: u64, end: u64) -> CoreResult<Vec<u8>> {
        self.ports()?
            .blobs
            .range(hash, start, end)
            .await
            .map_err(blob_err)?
            .ok_or(CoreError::NotFound("media"))
    }
}

/// The media job: process, store the files, record them. Files of an upload deleted
/// meanwhile are removed again.
async fn process(
    ports: &MediaPorts,
    store: &dyn crate::store::Store,
    mut row: MediaAttachment,
    bytes: Vec<u8>,
) -> CoreResult<MediaAttachment> {
    let p = ports
        .processor
        .process(bytes, &ports.limits)
        .await
        .map_err(from_media)?;
    let (orig, mime) = p.original;
    let size = orig.len() as u64;
    let hash = ports.blobs.put(orig).await.map_err(blob_err)?;
    row.file = Some(Blob { hash, mime, size });
    if let Some((bytes, mime)) = p.preview {
        let size = bytes.len() as u64;
        let hash = ports.blobs.put(bytes).await.map_err(blob_err)?;
        row.preview = Some(Blob { hash, mime, size });
    }
    row.kind = p.kind;
    row.size = p.size;
    row.small = p.small;
    row.blurhash = p.blurhash;
    match store.finish_media(&row).await? {
        Some(m) => Ok(m),
        None => {
            for b in [&row.file, &row.preview].into_iter().flatten() {
                if !store.blob_in_use(&b.hash).await? {
                    ports.blobs.delete(&b.hash).await.map_err(blob_err)?;
                }
            }
            Err(CoreError::NotFound("media"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_focus;

    #[test]
    fn focus() {
        assert_eq!(parse_focus("0.5,-1").unwrap(), (0.5, -1.0));
        assert_eq!(parse_focus(" -0.25 , 0.75 ").unwrap(), (-0.25, 0.75));
        for bad in ["", "1", "2,0", "a,b", "0,0,0", "NaN,0"] {
            assert!(parse_focus(bad).is_err(), "{bad}");
        }
    }
}
