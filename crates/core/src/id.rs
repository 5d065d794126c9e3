//! 64-bit, time-ordered IDs that name the region that minted them.
//!
//! Layout (most significant first): 1 zero bit (so the value fits a signed BIGINT),
//! 41 bits of milliseconds since [`EPOCH_MS`], 10 bits of region number, 12 bits of
//! sequence. Sorting IDs sorts by creation time; `region()` tells where the data lives.

use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;

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

/// Mints IDs for one region. Monotonic even if the wall clock steps back.
pub struct IdGen {
    region: u16,
    state: Mutex<(i64, u16)>,
}

impl IdGen {
    pub fn new(region: u16) -> IdGen {
        assert!(region <= MAX_REGION_NUMBER, "region number out of range");
        IdGen {
            region,
            state: Mutex::new((0, 0)),
        }
    }
    pub fn region(&self) -> u16 {
        self.region
    }
    pub fn next(&self) -> Id {
        let now = jiff::Timestamp::now().as_millisecond();
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let (last, seq) = *st;
        let (ms, seq) = if now > last {
            (now, 0)
        } else if seq + 1 < (1 << SEQ_BITS) {
            (last, seq + 1)
        } else {
            // Sequence exhausted in this millisecond: borrow the next one.
            (last + 1, 0)
        };
        *st = (ms, seq);
        Id::from_parts(ms, self.region, seq)
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
            let id = g.next();
            assert!(id > prev, "{id} after {prev}");
            assert_eq!(id.region(), 513);
            assert!(id.0 > 0);
            prev = id;
        }
        let now = jiff::Timestamp::now().as_millisecond();
        assert!((prev.unix_ms() - now).abs() < 5_000);
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
