//! Conformance: `MediaStore` (attachment rows, attach rules, profile-picture files, which
//! blobs are referenced and which are public).

use super::{T0, W};
use roost_core::media::{Blob, MediaAttachment, MediaKind, MediaRole};
use roost_core::model::{AccountStatusFilter, Visibility};
use roost_core::store::{Store, StoreError};
use roost_core::Id;

fn hash(n: u8) -> String {
    format!("{n:02x}").repeat(32)
}

fn upload(w: &W<'_>, account: Id) -> MediaAttachment {
    MediaAttachment {
        id: w.id(),
        account_id: account,
        status_id: None,
        role: MediaRole::Attachment,
        kind: MediaKind::Image,
        file: None,
        preview: None,
        size: None,
        small: None,
        blurhash: None,
        description: String::new(),
        focus: (0.0, 0.0),
        position: 0,
        created_at: super::at(T0),
    }
}

async fn ready(w: &W<'_>, account: Id, file: u8) -> MediaAttachment {
    let m = upload(w, account);
    w.s.create_media(&m).await.unwrap();
    let done = MediaAttachment {
        file: Some(Blob {
            hash: hash(file),
            mime: "image/png".into(),
            size: 10,
        }),
        preview: Some(Blob {
            hash: hash(file + 100),
            mime: "image/jpeg".into(),
            size: 5,
        }),
        size: Some((40, 20)),
        small: Some((40, 20)),
        blurhash: Some("LEHV6nWB2yk8".into()),
        ..m
    };
    w.s.finish_media(&done).await.unwrap().unwrap()
}

pub async fn media_rows_and_processing(s: &dyn Store) {
    let w = W::new(s);
    let a = w.account("media_a").await;
    let m = upload(&w, a);
    s.create_media(&m).await.unwrap();
    let got = s.media(m.id).await.unwrap().unwrap();
    assert_eq!(got, m);
    assert!(!got.is_ready());
    let done = ready(&w, a, 1).await;
    assert!(done.is_ready());
    assert_eq!(done.size, Some((40, 20)));
    assert_eq!(done.preview.as_ref().unwrap().mime, "image/jpeg");
    let upd = s
        .update_media(done.id, Some("alt"), Some((0.5, -0.5)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(upd.description, "alt");
    assert_eq!(upd.focus, (0.5, -0.5));
    let only_focus = s
        .update_media(done.id, None, Some((0.0, 1.0)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(only_focus.description, "alt");
    assert!(s.blob_in_use(&hash(1)).await.unwrap());
    assert!(s.referenced_blobs().await.unwrap().contains(&hash(101)));
    assert_eq!(s.delete_media(done.id).await.unwrap().unwrap().id, done.id);
    assert!(s.delete_media(done.id).await.unwrap().is_none());
    assert!(!s.blob_in_use(&hash(1)).await.unwrap());
    assert!(s
        .update_media(done.id, Some("x"), None)
        .await
        .unwrap()
        .is_none());
    // Finishing an upload deleted meanwhile records nothing.
    assert!(s.finish_media(&done).await.unwrap().is_none());
}

pub async fn media_attach_rules_and_public_blobs(s: &dyn Store) {
    let w = W::new(s);
    let a = w.account("media_b").await;
    let b = w.account("media_c").await;
    let one = ready(&w, a, 2).await;
    let two = ready(&w, a, 3).await;
    let theirs = ready(&w, b, 4).await;
    let pending = upload(&w, a);
    s.create_media(&pending).await.unwrap();
    let private = w.post(a, Visibility::Private).await;
    // Someone else's, or still processing: nothing attached at all.
    for bad in [vec![one.id, theirs.id], vec![one.id, pending.id]] {
        assert!(matches!(
            s.attach_media(private, a, &bad).await,
            Err(StoreError::Conflict(_))
        ));
        assert!(s.media(one.id).await.unwrap().unwrap().status_id.is_none());
    }
    s.attach_media(private, a, &[two.id, one.id]).await.unwrap();
    let on = s.status_media(&[private]).await.unwrap();
    assert_eq!(
        on.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![two.id, one.id]
    );
    // A page's bundle carries them, read with the rest.
    let bundle = s.status_bundle(&[private], Some(a), 0).await.unwrap();
    assert_eq!(
        bundle.media.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![two.id, one.id]
    );
    // Attached once only.
    let public = w.post(a, Visibility::Public).await;
    assert!(matches!(
        s.attach_media(public, a, &[one.id]).await,
        Err(StoreError::Conflict(_))
    ));
    // Private posts' files are not public; a public post's are, preview included.
    assert_eq!(s.public_blob(&hash(2)).await.unwrap(), None);
    let three = ready(&w, a, 5).await;
    s.attach_media(public, a, &[three.id]).await.unwrap();
    assert_eq!(
        s.public_blob(&hash(5)).await.unwrap().as_deref(),
        Some("image/png")
    );
    assert_eq!(
        s.public_blob(&hash(105)).await.unwrap().as_deref(),
        Some("image/jpeg")
    );
    assert_eq!(s.public_blob(&hash(4)).await.unwrap(), None);
    // A profile's media tab: the posts with files of their own, newest first.
    w.post(a, Visibility::Public).await;
    let only_media = AccountStatusFilter {
        only_media: true,
        ..Default::default()
    };
    assert_eq!(
        s.account_statuses(a, Some(a), &only_media, super::page(40))
            .await
            .unwrap(),
        vec![public, private]
    );
    // Deleting the post takes its attachments' rows.
    s.delete_status(public).await.unwrap();
    assert!(s.media(three.id).await.unwrap().is_none());
    assert!(!s.blob_in_use(&hash(5)).await.unwrap());
}

pub async fn media_profile_files(s: &dyn Store) {
    let w = W::new(s);
    let a = w.account("media_d").await;
    let file = format!("{}.jpg", hash(9));
    assert_eq!(
        s.set_profile_file(a, MediaRole::Avatar, Some(&file))
            .await
            .unwrap(),
        None
    );
    assert_eq!(w.acct(a).await.avatar.as_deref(), Some(file.as_str()));
    assert_eq!(w.acct(a).await.header, None);
    assert!(s.blob_in_use(&hash(9)).await.unwrap());
    assert_eq!(
        s.public_blob(&hash(9)).await.unwrap().as_deref(),
        Some("image/jpeg")
    );
    let next = format!("{}.png", hash(10));
    let old = s
        .set_profile_file(a, MediaRole::Avatar, Some(&next))
        .await
        .unwrap();
    assert_eq!(old.as_deref(), Some(file.as_str()));
    assert!(!s.blob_in_use(&hash(9)).await.unwrap());
    s.set_profile_file(a, MediaRole::Header, Some(&file))
        .await
        .unwrap();
    assert_eq!(w.acct(a).await.header.as_deref(), Some(file.as_str()));
    assert!(matches!(
        s.set_profile_file(w.id(), MediaRole::Avatar, None).await,
        Err(StoreError::Missing(_))
    ));
}
