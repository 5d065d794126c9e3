//! 64-bit, time-ordered IDs that name the region that minted them.
//!
//! Layout (most significant first): 1 zero bit (so the value fits a signed BIGINT),
//! 41 bits of milliseconds since [`EPOCH_MS`], 10 bits of region number, 12 bits of
//! sequence. Sorting IDs sorts by creation time; `region()` tells where the data lives.

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicI64, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

/// 2024-01-01T00:00:00Z: leaves ~69 years of room in 41 bits.
pub const EPOCH_MS: i64 = 1_704_067_200_000;
const REGION_BITS: u32 = 10;
const SEQ_BITS: u32 = 12;
pub const MAX_REGION_NUMBER: u16 = (1 << REGION_BITS) - 1;

#[derive(
    Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct Id(pub i64);

impl Id {
    pub fn from_parts(ms_since_unix: i64, region: u16, seq: u16) -> Id {
        let t = (ms_since_unix - EPOCH_MS).max(0);
        Id((t << (REGION_BITS + SEQ_BITS))
            | (i64::from(region & MAX_REGION_NUMBER) << SEQ_BITS)
            | i64::from(seq & ((1 << SEQ_BITS) - 1)))
    }
    /// The region number that minted this ID.
    pub fn region(self) -> u16 {
        ((self.0 >> SEQ_BITS) & i64::from(MAX_REGION_NUMBER)) as u16
    }
    /// Milliseconds since the Unix epoch at which this ID was minted.
    pub fn unix_ms(self) -> i64 {
        (self.0 >> (REGION_BITS + SEQ_BITS)) + EPOCH_MS
    }
    /// The smallest ID that could have been minted at `ms` (any region): for cursors by time.
    pub fn floor_at(ms_since_unix: i64) -> Id {
        Id::from_parts(ms_since_unix, 0, 0)
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({})", self.0)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("not a valid id")]
pub struct BadId;

impl FromStr for Id {
    type Err = BadId;
    fn from_str(s: &str) -> Result<Self, BadId> {
        // Decimal digits only: no signs, spaces or leading '+', so IDs stay canonical.
        if s.is_empty() || s.len() > 19 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(BadId);
        }
        s.parse::<i64>().map(Id).map_err(|_| BadId)
    }
}

/// Bits of the sequence that name the node when a region has several (on PostgreSQL):
/// 16 nodes, each minting up to 256 IDs a millisecond. A region on one node keeps all 12
/// bits for its sequence.
pub const NODE_BITS: u32 = 4;
pub const MAX_NODES: u16 = 1 << NODE_BITS;

/// This node's number among its region's nodes, while it holds one: two nodes of a region
/// minting in the same millisecond differ in it. The number is leased from the shared
/// database; `fence_ms` is the moment past which this node may no longer be sure it is
/// still the number's only holder (set by whoever renews the lease, well before the
/// lease itself runs out, so clocks a few seconds apart still never overlap).
#[derive(Debug, Default)]
pub struct NodeNumber {
    /// The number + 1; 0 while none is held.
    number: AtomicU32,
    fence_ms: AtomicI64,
}

impl NodeNumber {
    pub fn new() -> Arc<NodeNumber> {
        Arc::new(NodeNumber::default())
    }
    /// Holds `number` until `fence_ms` (milliseconds since the Unix epoch).
    pub fn hold(&self, number: u16, fence_ms: i64) {
        assert!(number < MAX_NODES, "node number out of range");
        // The fence first: a reader that sees the new number never sees an old fence.
        self.fence_ms.store(fence_ms, Ordering::SeqCst);
        self.number.store(u32::from(number) + 1, Ordering::SeqCst);
    }
    /// Gives the number up: nothing more is minted under it.
    pub fn drop_number(&self) {
        self.number.store(0, Ordering::SeqCst);
    }
    /// The number held now, if the fence has not passed at `now_ms`.
    pub fn current(&self, now_ms: i64) -> Option<u16> {
        let n = self.number.load(Ordering::SeqCst);
        (n != 0 && now_ms < self.fence_ms.load(Ordering::SeqCst)).then(|| (n - 1) as u16)
    }
}

/// Minting stopped: this node of a region shared by several holds no node number now
/// (its lease could not be renewed in time), so an ID it made could equal another's.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("this node holds no node number; it cannot mint IDs until it gets one again")]
pub struct NoNodeNumber;

/// Mints IDs for one region. Monotonic even if the wall clock steps back.
pub struct IdGen {
    region: u16,
    /// Set when the region has several nodes: the sequence then gives its top
    /// [`NODE_BITS`] to the node's number.
    node: Option<Arc<NodeNumber>>,
    state: Mutex<(i64, u16)>,
}

impl IdGen {
    pub fn new(region: u16) -> IdGen {
        assert!(region <= MAX_REGION_NUMBER, "region number out of range");
        IdGen {
            region,
            node: None,
            state: Mutex::new((0, 0)),
        }
    }
    /// An ID generator for one of several nodes of the region, minting only while
    /// `node` holds a number.
    pub fn on_node(region: u16, node: Arc<NodeNumber>) -> IdGen {
        IdGen {
            node: Some(node),
            ..IdGen::new(region)
        }
    }
    pub fn region(&self) -> u16 {
        self.region
    }
    /// The next ID. On a node of several, fails while the node holds no number.
    pub fn next(&self) -> Result<Id, NoNodeNumber> {
        let now = jiff::Timestamp::now().as_millisecond();
        let (node, seq_bits) = match &self.node {
            None => (0, SEQ_BITS),
            Some(n) => (n.current(now).ok_or(NoNodeNumber)?, SEQ_BITS - NODE_BITS),
        };
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let (last, seq) = *st;
        let (ms, seq) = if now > last {
            (now, 0)
        } else if seq + 1 < (1 << seq_bits) {
            (last, seq + 1)
        } else {
            // Sequence exhausted in this millisecond: borrow the next one.
            (last + 1, 0)
        };
        *st = (ms, seq);
        Ok(Id::from_parts(ms, self.region, (node << seq_bits) | seq))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_ordered_and_carry_region() {
        let g = IdGen::new(513);
        let mut prev = Id(0);
        for _ in 0..10_000 {
            let id = g.next().unwrap();
            assert!(id > prev, "{id} after {prev}");
            assert_eq!(id.region(), 513);
            assert!(id.0 > 0);
            prev = id;
        }
        let now = jiff::Timestamp::now().as_millisecond();
        assert!((prev.unix_ms() - now).abs() < 5_000);
    }

    #[test]
    fn nodes_of_one_region_never_mint_the_same_id() {
        let (a, b) = (NodeNumber::new(), NodeNumber::new());
        let far = jiff::Timestamp::now().as_millisecond() + 60_000;
        a.hold(0, far);
        b.hold(MAX_NODES - 1, far);
        let (ga, gb) = (IdGen::on_node(7, a.clone()), IdGen::on_node(7, b));
        // More than one millisecond's sequence, so both borrow ahead as well.
        let mut seen = std::collections::HashSet::new();
        for _ in 0..2_000 {
            for g in [&ga, &gb] {
                let id = g.next().unwrap();
                assert_eq!(id.region(), 7);
                assert!(seen.insert(id), "{id:?} minted twice");
            }
        }
        // Past its fence a node mints nothing, and again once it holds a number.
        a.hold(0, jiff::Timestamp::now().as_millisecond() - 1);
        assert!(ga.next().is_err());
        a.drop_number();
        assert!(ga.next().is_err());
        a.hold(3, far);
        assert!(ga.next().is_ok());
        assert!(IdGen::new(7).next().is_ok(), "one node needs no number");
    }

    #[test]
    fn parse_rejects_non_canonical() {
        assert_eq!("123".parse::<Id>().unwrap(), Id(123));
        for bad in [
            "",
            "-1",
            "+1",
            " 1",
            "1a",
            "99999999999999999999",
            "9223372036854775808",
        ] {
            assert!(bad.parse::<Id>().is_err(), "{bad:?}");
        }
    }
}
