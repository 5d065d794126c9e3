//! Conformance: `EmojiStore` (custom emoji rows) and how their files count as blobs
//! (served publicly, never unreferenced while an emoji names them).

use super::{T0, W};
use roost_core::emoji::CustomEmoji;
use roost_core::media::Blob;
use roost_core::store::{Store, StoreError};

fn hash(n: u8) -> String {
    format!("{n:02x}").repeat(32)
}

fn emoji(w: &W<'_>, base: &str, file: u8) -> CustomEmoji {
    CustomEmoji {
        shortcode: w.name(base),
        file: Blob {
            hash: hash(file),
            mime: "image/png".into(),
            size: 123,
        },
        category: Some("Blobs".into()),
        visible_in_picker: true,
        created_at: super::at(T0),
    }
}

pub async fn emoji_rows_round_trip_and_conflict(s: &dyn Store) {
    let w = W::new(s);
    let cat = emoji(&w, "blobcat", 201);
    let hidden = CustomEmoji {
        category: None,
        visible_in_picker: false,
        ..emoji(&w, "a_hidden", 202)
    };
    s.create_emoji(&cat).await.unwrap();
    s.create_emoji(&hidden).await.unwrap();
    assert_eq!(s.emoji(&cat.shortcode).await.unwrap(), Some(cat.clone()));
    assert_eq!(s.emoji(&w.name("nope")).await.unwrap(), None);
    // Shortcodes are case-sensitive, as Mastodon's.
    assert_eq!(s.emoji(&cat.shortcode.to_uppercase()).await.unwrap(), None);
    let all = s.emojis().await.unwrap();
    let ours: Vec<&CustomEmoji> = all
        .iter()
        .filter(|e| e.shortcode.ends_with(&w.tag))
        .collect();
    assert_eq!(ours, vec![&hidden, &cat], "by shortcode");
    // A taken shortcode is a conflict and changes nothing.
    let again = CustomEmoji {
        file: Blob {
            hash: hash(203),
            mime: "image/gif".into(),
            size: 1,
        },
        ..cat.clone()
    };
    assert!(matches!(
        s.create_emoji(&again).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(s.emoji(&cat.shortcode).await.unwrap(), Some(cat.clone()));
    assert!(!s.blob_in_use(&hash(203)).await.unwrap());
    assert_eq!(
        s.delete_emoji(&cat.shortcode).await.unwrap(),
        Some(cat.clone())
    );
    assert_eq!(s.delete_emoji(&cat.shortcode).await.unwrap(), None);
    assert_eq!(s.emoji(&cat.shortcode).await.unwrap(), None);
    assert!(s.emoji(&hidden.shortcode).await.unwrap().is_some());
}

pub async fn emoji_files_are_public_and_referenced(s: &dyn Store) {
    let w = W::new(s);
    let e = emoji(&w, "party", 211);
    assert!(!s.blob_in_use(&hash(211)).await.unwrap());
    assert_eq!(s.public_blob(&hash(211)).await.unwrap(), None);
    assert!(!s.referenced_blobs().await.unwrap().contains(&hash(211)));
    s.create_emoji(&e).await.unwrap();
    assert!(s.blob_in_use(&hash(211)).await.unwrap());
    assert_eq!(
        s.public_blob(&hash(211)).await.unwrap().as_deref(),
        Some("image/png")
    );
    assert!(s.referenced_blobs().await.unwrap().contains(&hash(211)));
    // Two emoji may share one picture: it stays until neither names it.
    let twin = emoji(&w, "party2", 211);
    s.create_emoji(&twin).await.unwrap();
    s.delete_emoji(&e.shortcode).await.unwrap();
    assert!(s.blob_in_use(&hash(211)).await.unwrap());
    s.delete_emoji(&twin.shortcode).await.unwrap();
    assert!(!s.blob_in_use(&hash(211)).await.unwrap());
    assert_eq!(s.public_blob(&hash(211)).await.unwrap(), None);
    assert!(!s.referenced_blobs().await.unwrap().contains(&hash(211)));
}
