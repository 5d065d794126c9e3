//! View counting without a database write per view: views are added up in memory and
//! flushed to the [`ViewStore`] every few seconds and on shutdown.
//!
//! Readers see stored + pending counts, so figures are exact at any moment. A flush holds a
//! gate that readers also take, so a reader never sees a batch both in memory and in the
//! store (double count) or in neither (a dip).

use crate::id::Id;
use crate::model::ViewCount;
use crate::store::{StoreResult, ViewStore};
use jiff::tz::TimeZone;
use jiff::Timestamp;
use std::collections::HashMap;
use std::sync::Mutex;

pub struct ViewCounter {
    tz: TimeZone,
    /// (status, day) -> views not yet flushed.
    pending: Mutex<HashMap<(Id, i32), i64>>,
    gate: tokio::sync::RwLock<()>,
}

/// Days since 1970-01-01 of `at` in time zone `tz`: "today" rolls over at local midnight.
pub fn day_number(at: Timestamp, tz: &TimeZone) -> i32 {
    let date = at.to_zoned(tz.clone()).date();
    let epoch = jiff::civil::date(1970, 1, 1);
    // Civil date arithmetic in days cannot fail for dates jiff can represent.
    date.since(epoch).map(|span| span.get_days()).unwrap_or(0)
}

impl ViewCounter {
    pub fn new(tz: TimeZone) -> ViewCounter {
        ViewCounter {
            tz,
            pending: Mutex::new(HashMap::new()),
            gate: tokio::sync::RwLock::new(()),
        }
    }

    pub fn today(&self) -> i32 {
        day_number(Timestamp::now(), &self.tz)
    }

    pub fn record(&self, status: Id) {
        self.record_at(status, Timestamp::now());
    }

    pub fn record_at(&self, status: Id, at: Timestamp) {
        self.record_many(status, 1, at);
    }

    /// `n` views at once (views of a local status counted in another region). Counts
    /// saturate: a figure may stop growing, never overflow or go negative.
    pub fn record_many(&self, status: Id, n: i64, at: Timestamp) {
        let day = day_number(at, &self.tz);
        let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        let c = p.entry((status, day)).or_insert(0);
        *c = c.saturating_add(n.max(0));
    }

    /// Held while stored counts are read and until [`add_pending`](Self::add_pending):
    /// a flush waits, so no view is counted both in memory and in the store, or in neither.
    pub async fn reading(&self) -> tokio::sync::RwLockReadGuard<'_, ()> {
        self.gate.read().await
    }

    /// Adds the views not flushed yet to stored counts read under [`reading`](Self::reading).
    pub fn add_pending(&self, out: &mut HashMap<Id, ViewCount>, ids: &[Id], day: i32) {
        let p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        if p.is_empty() {
            return;
        }
        // One pass over pending views, not one per requested ID: this runs for every
        // page of statuses served.
        let wanted: std::collections::HashSet<Id> = ids.iter().copied().collect();
        for (&(sid, d), &n) in p.iter().filter(|((sid, _), _)| wanted.contains(sid)) {
            let c = out.entry(sid).or_default();
            c.total = c.total.saturating_add(n);
            if d == day {
                c.today = c.today.saturating_add(n);
            }
        }
    }

    /// Writes pending counts to the store. On failure they stay pending for the next try.
    pub async fn flush(&self, store: &dyn ViewStore) -> StoreResult<usize> {
        let _g = self.gate.write().await;
        let batch: Vec<(Id, i32, i64)> = {
            let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            p.drain().map(|((id, day), n)| (id, day, n)).collect()
        };
        if batch.is_empty() {
            return Ok(0);
        }
        match store.add_views(&batch).await {
            Ok(()) => Ok(batch.len()),
            Err(e) => {
                let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
                for (id, day, n) in batch {
                    let c = p.entry((id, day)).or_insert(0);
                    *c = c.saturating_add(n);
                }
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_trait::async_trait;

    /// Holds (status, day) -> count; enough to check what the counter adds on top.
    #[derive(Default)]
    struct MemViews(Mutex<HashMap<(Id, i32), i64>>);

    #[async_trait]
    impl ViewStore for MemViews {
        async fn add_views(&self, batch: &[(Id, i32, i64)]) -> StoreResult<()> {
            let mut m = self.0.lock().unwrap();
            for (id, day, n) in batch {
                *m.entry((*id, *day)).or_insert(0) += n;
            }
            Ok(())
        }
        async fn views(&self, ids: &[Id], day: i32) -> StoreResult<Vec<(Id, ViewCount)>> {
            let m = self.0.lock().unwrap();
            Ok(ids
                .iter()
                .map(|id| {
                    let total = m.iter().filter(|((i, _), _)| i == id).map(|(_, n)| n).sum();
                    let today = m.get(&(*id, day)).copied().unwrap_or(0);
                    (*id, ViewCount { total, today })
                })
                .collect())
        }
    }

    impl ViewCounter {
        /// Stored plus pending counts, as `hydrate` reads them.
        async fn counts(
            &self,
            store: &dyn ViewStore,
            ids: &[Id],
            day: i32,
        ) -> StoreResult<HashMap<Id, ViewCount>> {
            let _g = self.reading().await;
            let mut out: HashMap<Id, ViewCount> =
                store.views(ids, day).await?.into_iter().collect();
            self.add_pending(&mut out, ids, day);
            Ok(out)
        }
    }

    #[tokio::test]
    async fn counts_are_stored_plus_pending_and_flush_moves_them() {
        let store = MemViews::default();
        let c = ViewCounter::new(TimeZone::UTC);
        let (a, b, other) = (Id(1), Id(2), Id(3));
        let yesterday: Timestamp = "2026-03-01T12:00:00Z".parse().unwrap();
        let today_at: Timestamp = "2026-03-02T12:00:00Z".parse().unwrap();
        let today = day_number(today_at, &TimeZone::UTC);
        c.record_at(a, yesterday);
        c.record_at(a, today_at);
        c.record_at(b, today_at);
        c.record_at(other, today_at);
        let before = c.counts(&store, &[a, b], today).await.unwrap();
        assert_eq!(before[&a], ViewCount { total: 2, today: 1 });
        assert_eq!(before[&b], ViewCount { total: 1, today: 1 });
        assert!(!before.contains_key(&other), "only the asked-for IDs");
        assert_eq!(c.flush(&store).await.unwrap(), 4);
        c.record_at(a, today_at);
        let after = c.counts(&store, &[a, b], today).await.unwrap();
        assert_eq!(after[&a], ViewCount { total: 3, today: 2 });
        assert_eq!(after[&b], ViewCount { total: 1, today: 1 });
    }

    #[tokio::test]
    async fn counts_saturate_instead_of_overflowing() {
        let store = MemViews::default();
        let c = ViewCounter::new(TimeZone::UTC);
        let at: Timestamp = "2026-03-02T12:00:00Z".parse().unwrap();
        let today = day_number(at, &TimeZone::UTC);
        let a = Id(1);
        c.record_many(a, i64::MAX, at);
        c.record_many(a, i64::MAX, at);
        c.record_many(a, -5, at);
        let max = ViewCount {
            total: i64::MAX,
            today: i64::MAX,
        };
        assert_eq!(c.counts(&store, &[a], today).await.unwrap()[&a], max);
        c.flush(&store).await.unwrap();
        // Stored at the maximum, plus pending views: still the maximum.
        c.record_at(a, at);
        assert_eq!(c.counts(&store, &[a], today).await.unwrap()[&a], max);
    }

    #[test]
    fn day_rolls_over_at_local_midnight() {
        let tz = TimeZone::get("Asia/Kolkata").unwrap();
        // 18:29:59Z is 23:59:59 in India (+05:30); 18:30Z is the next local day.
        let before: Timestamp = "2026-03-01T18:29:59Z".parse().unwrap();
        let after: Timestamp = "2026-03-01T18:30:00Z".parse().unwrap();
        assert_eq!(day_number(after, &tz), day_number(before, &tz) + 1);
        let utc = TimeZone::UTC;
        assert_eq!(day_number(before, &utc), day_number(after, &utc));
    }
}
