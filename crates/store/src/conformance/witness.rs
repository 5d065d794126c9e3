//! Conformance: `WitnessStore` (what this region holds as a witness of other regions'
//! ledgers). The store keeps what it is given exactly, signatures and all (it checks
//! none), keeps only ever larger cosigned heads, and one evidence row per conflicting head.

use super::W;
use roost_core::store::Store;
use roost_residency::witness::{ConflictKind, Cosignature, Cosigned, Evidence};
use roost_residency::{SignedTreeHead, TreeHead};

fn head(region: &str, size: u64, salt: u8) -> SignedTreeHead {
    SignedTreeHead {
        head: TreeHead {
            region: region.into(),
            tree_size: size,
            root_hash: [size as u8 ^ salt; 32],
            timestamp_ms: 1_700_000_000_000 + size as i64,
        },
        key_id: "0123456789abcdef".into(),
        signature: format!("c2lnbmF0dXJlIG9mIHNpemUg{size}{salt}=="),
    }
}

fn cosigned(region: &str, size: u64, salt: u8) -> Cosigned {
    let h = head(region, size, salt);
    Cosigned {
        cosignature: Cosignature {
            witness: "w".into(),
            region: region.into(),
            tree_size: size,
            root_hash: h.head.root_hash,
            timestamp_ms: 1_700_000_500_000 + size as i64,
            key_id: "fedcba9876543210".into(),
            signature: format!("Y29zaWduYXR1cmU{size}{salt}=="),
        },
        head: h,
    }
}

fn evidence(region: &str, cosigned: u64, conflicting: u64, salt: u8, seen_ms: i64) -> Evidence {
    Evidence {
        witness: "w".into(),
        region: region.into(),
        kind: if conflicting < cosigned {
            ConflictKind::Truncated
        } else {
            ConflictKind::Forked
        },
        detail: format!("{conflicting} against {cosigned}"),
        cosigned: head(region, cosigned, 0),
        conflicting: head(region, conflicting, salt),
        seen_ms,
    }
}

pub async fn witness_keeps_larger_cosigned_heads_and_evidence_once(s: &dyn Store) {
    let w = W::new(s);
    let (region, other) = (w.region(), format!("{}x", w.region()));
    assert_eq!(s.cosigned(&region).await.unwrap(), None);
    assert!(s.evidence(&region).await.unwrap().is_empty());

    let five = cosigned(&region, 5, 0);
    assert!(s.save_cosigned(&five).await.unwrap());
    assert_eq!(s.cosigned(&region).await.unwrap(), Some(five.clone()));
    assert_eq!(s.cosigned(&other).await.unwrap(), None, "per region");
    // Never back, nor sideways at the same size: the kept head stays.
    assert!(!s.save_cosigned(&cosigned(&region, 4, 0)).await.unwrap());
    assert!(!s.save_cosigned(&cosigned(&region, 5, 9)).await.unwrap());
    assert_eq!(s.cosigned(&region).await.unwrap(), Some(five));
    let eight = cosigned(&region, 8, 0);
    assert!(s.save_cosigned(&eight).await.unwrap());
    assert_eq!(s.cosigned(&region).await.unwrap(), Some(eight.clone()));
    assert!(s.save_cosigned(&cosigned(&other, 1, 0)).await.unwrap());
    assert_eq!(s.cosigned(&region).await.unwrap(), Some(eight));

    let truncated = evidence(&region, 8, 6, 0, 2_000);
    let forked = evidence(&region, 8, 8, 7, 1_000);
    assert!(s.record_evidence(&truncated).await.unwrap());
    assert!(s.record_evidence(&forked).await.unwrap());
    // The same conflicting head seen again (a later round) is kept once.
    let again = Evidence {
        seen_ms: 3_000,
        ..truncated.clone()
    };
    assert!(!s.record_evidence(&again).await.unwrap());
    assert!(s
        .record_evidence(&evidence(&other, 1, 0, 0, 500))
        .await
        .unwrap());
    assert_eq!(
        s.evidence(&region).await.unwrap(),
        vec![forked, truncated],
        "oldest first, exactly as recorded"
    );
    assert_eq!(s.evidence(&other).await.unwrap().len(), 1);
}
