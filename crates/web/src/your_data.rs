//! `/your-data`: your home region, which regions hold which classes of your data, and the
//! latest ledger entries about you — the same answer as `/api/roost/v1/residency/me`.

use crate::error::WebError;
use crate::layout::{render, Layout};
use crate::session::Viewer;
use crate::WebState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use roost_federation::holdings::Holdings;
use roost_residency::ledger::Direction;

struct RegionRow {
    region: String,
    home: bool,
    classes: Vec<String>,
    items: usize,
    tree_size: u64,
    root: String,
    error: Option<String>,
}

struct EntryRow {
    time: String,
    ledger: String,
    index: u64,
    what: String,
    class: String,
    object: String,
    decision: String,
    time_ms: i64,
}

#[derive(Template)]
#[template(path = "your_data.html")]
struct YourDataPage {
    layout: Layout,
    home: String,
    regions: Vec<RegionRow>,
    entries: Vec<EntryRow>,
}

const SHOWN_ENTRIES: usize = 50;

fn row(h: &Holdings) -> RegionRow {
    RegionRow {
        region: h.region.clone(),
        home: h.home,
        classes: h.classes.clone(),
        items: h.items.len(),
        tree_size: h.head.head.tree_size,
        root: hex::encode(&h.head.head.root_hash[..8.min(h.head.head.root_hash.len())]),
        error: None,
    }
}

fn entries(h: &Holdings, out: &mut Vec<EntryRow>) {
    for p in &h.entries {
        let e = &p.entry;
        let what = match e.direction {
            Direction::Sent => format!("{} sent to {} ({})", h.region, e.counterpart, e.purpose),
            Direction::Stored => format!(
                "{} stored a copy from {} ({})",
                h.region, e.counterpart, e.purpose
            ),
            Direction::Dropped => format!(
                "{} did not keep what came from {} ({})",
                h.region, e.counterpart, e.purpose
            ),
        };
        out.push(EntryRow {
            time: jiff::Timestamp::from_millisecond(e.time_ms)
                .map(|t| t.strftime("%Y-%m-%d %H:%M:%S").to_string())
                .unwrap_or_default(),
            ledger: h.region.clone(),
            index: p.index,
            what,
            class: e.class.to_string(),
            object: e.object.clone(),
            decision: e.decision.clone(),
            time_ms: e.time_ms,
        });
    }
}

pub async fn get(State(st): State<WebState>, viewer: Viewer) -> Result<Response, WebError> {
    let me = viewer.require("/your-data")?;
    let mut regions = Vec::new();
    let mut all_entries = Vec::new();
    for (region, answer) in st.fed.holdings_everywhere(&st.roost, me.id).await? {
        match answer {
            Ok(h) => {
                entries(&h, &mut all_entries);
                regions.push(row(&h));
            }
            // A region that cannot answer is shown as such, not hidden.
            Err(e) => regions.push(RegionRow {
                region,
                home: false,
                classes: vec![],
                items: 0,
                tree_size: 0,
                root: String::new(),
                error: Some(e.to_string()),
            }),
        }
    }
    all_entries.sort_by_key(|e| std::cmp::Reverse(e.time_ms));
    all_entries.truncate(SHOWN_ENTRIES);
    render(
        &viewer,
        &YourDataPage {
            layout: Layout::new(&st, &viewer, "Your data").current("data"),
            home: me.home_region.clone(),
            regions,
            entries: all_entries,
        },
    )
}
