//! The results: one JSON document, the same as Markdown tables, and an SVG plot of
//! throughput and latency per scenario.

use serde::Serialize;
use std::fmt::Write;

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub scenario: String,
    pub request: String,
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub ok: u64,
    pub errors: u64,
    pub first_error: Option<String>,
    /// Requests/s relative to `GET /health` in the same run.
    pub ratio_to_ceiling: f64,
    pub server_rss_mib: f64,
    /// Percent of one core (200 = both cores of a 2-core machine).
    pub server_cpu_pct: f64,
    /// Server CPU time and context switches per successful request (whole run of the
    /// scenario, warm-up included): less sensitive to other load than requests/s.
    pub server_cpu_us_per_req: f64,
    pub server_ctx_switches_per_req: f64,
    /// KiB the server wrote to storage per successful request (WAL, checkpoints).
    pub server_write_kib_per_req: f64,
    /// On `--database`: the PostgreSQL processes' share of the CPU time above.
    pub database_cpu_us_per_req: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OpenLoop {
    pub scenario: String,
    pub rate: f64,
    pub achieved_rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub errors: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Views {
    pub statuses_fetched: usize,
    pub fetches: u64,
    /// Statuses whose stored total after a flush equals their successful fetches.
    pub exact_in_store: usize,
    pub mismatched_in_store: usize,
    /// Of the statuses re-read over the API, those showing fetches + 1 (the re-read counts).
    pub api_checked: usize,
    pub api_exact: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Fanout {
    pub followers: u64,
    /// Per post: time until `POST /api/v1/statuses` answered, and until every follower's
    /// home timeline held it (rows counted in the database, sampled followers read over
    /// HTTP).
    pub post_ms: Vec<f64>,
    pub complete_ms: Vec<f64>,
    pub rows_found: Vec<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CrossRow {
    pub setup: String,
    pub requests: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub mean_ms: f64,
    pub errors: u64,
    /// Regions whose posts were on the page.
    pub regions_seen: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Target {
    pub name: String,
    pub target: String,
    pub measured: String,
    pub met: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Report {
    pub command: String,
    pub preset: String,
    pub cores: usize,
    pub memory_gib: f64,
    pub load_average_before: String,
    pub load_average_after: String,
    pub shape: Option<crate::dataset::Shape>,
    pub build_secs: f64,
    pub home_timeline_rows: u64,
    pub database_mib: f64,
    pub connections: usize,
    pub seconds_per_scenario: f64,
    pub server_rss_idle_mib: f64,
    /// Spawn to the first answered home timeline.
    pub cold_start_ms: f64,
    pub server_rss_peak_mib: f64,
    pub rows: Vec<Row>,
    pub open_loop: Vec<OpenLoop>,
    pub views: Option<Views>,
    pub fanout: Option<Fanout>,
    pub streaming: Option<crate::streaming::Streaming>,
    pub cross_region: Vec<CrossRow>,
    pub inter_region_delay_ms: u64,
    pub targets: Vec<Target>,
    /// The search index: built from the store at start.
    pub search_index: Option<SearchIndexFigures>,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct SearchIndexFigures {
    pub posts: usize,
    /// Spawn to "search index reconciled" in the server's log.
    pub build_secs: f64,
    pub posts_per_sec: f64,
    pub index_mib: f64,
}

fn ms(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

impl Report {
    pub fn markdown(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "preset `{}`; {} cores, {:.1} GiB; load average before {} / after {}; {} connections, {} s per scenario",
            self.preset,
            self.cores,
            self.memory_gib,
            self.load_average_before,
            self.load_average_after,
            self.connections,
            self.seconds_per_scenario
        );
        if let Some(sh) = &self.shape {
            let _ = writeln!(
                s,
                "\ndata set: {} accounts, {} posts, {} follows (Zipf s={}), {} home-timeline rows, {:.0} MiB, built in {:.0} s; server RSS idle {:.0} MiB, peak {:.0} MiB",
                sh.accounts,
                sh.posts,
                sh.follows,
                sh.zipf_s,
                self.home_timeline_rows,
                self.database_mib,
                self.build_secs,
                self.server_rss_idle_mib,
                self.server_rss_peak_mib
            );
        }
        if let Some(x) = &self.search_index {
            let _ = writeln!(
                s,
                "\nsearch index: {} posts indexed from the store in {:.1} s ({:.0} posts/s), {:.1} MiB on disk ({:.1} MiB per million posts)",
                x.posts,
                x.build_secs,
                x.posts_per_sec,
                x.index_mib,
                x.index_mib * 1e6 / (x.posts.max(1) as f64)
            );
        }
        s.push_str("\n| scenario | request | req/s | p50 ms | p99 ms | p99.9 ms | errors | vs ceiling | server RSS MiB | server CPU % | CPU µs/req | ctx sw/req | KiB written/req |\n");
        s.push_str("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for r in &self.rows {
            let _ = writeln!(
                s,
                "| {} | `{}` | {:.0} | {} | {} | {} | {} | {:.0}% | {:.0} | {:.0} | {:.0} | {:.1} | {:.1} |",
                r.scenario,
                r.request,
                r.rps,
                ms(r.p50_ms),
                ms(r.p99_ms),
                ms(r.p999_ms),
                r.errors,
                100.0 * r.ratio_to_ceiling,
                r.server_rss_mib,
                r.server_cpu_pct,
                r.server_cpu_us_per_req,
                r.server_ctx_switches_per_req,
                r.server_write_kib_per_req
            );
        }
        for o in &self.open_loop {
            let _ = writeln!(
                s,
                "\nOpen loop, {} at {:.0} req/s (half of its peak): achieved {:.0} req/s, p50 {} ms, p99 {} ms, p99.9 {} ms, {} errors.",
                o.scenario,
                o.rate,
                o.achieved_rps,
                ms(o.p50_ms),
                ms(o.p99_ms),
                ms(o.p999_ms),
                o.errors
            );
        }
        if let Some(v) = &self.views {
            let _ = writeln!(
                s,
                "\nView counts: {} fetches of {} statuses; after a flush {} stored totals equal the fetches, {} differ; over the API {}/{} show fetches + 1.",
                v.fetches,
                v.statuses_fetched,
                v.exact_in_store,
                v.mismatched_in_store,
                v.api_exact,
                v.api_checked
            );
        }
        if let Some(f) = &self.fanout {
            let list = |v: &[f64]| v.iter().map(|x| ms(*x)).collect::<Vec<_>>().join(", ");
            let _ = writeln!(
                s,
                "\nFan-out to {} followers: POST answered in {} ms; in every home timeline after {} ms (rows found: {:?}).",
                f.followers,
                list(&f.post_ms),
                list(&f.complete_ms),
                f.rows_found
            );
        }
        if let Some(st) = &self.streaming {
            let _ = writeln!(
                s,
                "\nStreaming: {} idle user streams took the server from {:.0} to {:.0} MiB RSS (opened in {:.1} s). \
                 With {} followers connected (of the author's {}), {} posts one after another reached the last follower \
                 p50 {} ms, p99 {} ms, max {} ms after the POST's answer (any follower: p50 {} ms, p99 {} ms); {} frames missing.",
                st.idle_sockets,
                st.rss_before_mib,
                st.rss_with_idle_mib,
                st.idle_connect_secs,
                st.followers_connected,
                st.author_followers,
                st.posts,
                ms(st.last_frame_p50_ms),
                ms(st.last_frame_p99_ms),
                ms(st.last_frame_max_ms),
                ms(st.any_frame_p50_ms),
                ms(st.any_frame_p99_ms),
                st.missing
            );
        }
        if !self.cross_region.is_empty() {
            let _ = writeln!(
                s,
                "\nCross-region home timeline (3 regions, {} ms injected each way between regions, sequential requests, `limit=20`):\n",
                self.inter_region_delay_ms
            );
            s.push_str("| setup | requests | p50 ms | p99 ms | mean ms | errors | regions on the page |\n|---|---:|---:|---:|---:|---:|---|\n");
            for c in &self.cross_region {
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} | {} | {} | {} |",
                    c.setup,
                    c.requests,
                    ms(c.p50_ms),
                    ms(c.p99_ms),
                    ms(c.mean_ms),
                    c.errors,
                    c.regions_seen.join(" ")
                );
            }
        }
        if !self.targets.is_empty() {
            s.push_str("\n| target | wanted | measured | met |\n|---|---|---|---|\n");
            for t in &self.targets {
                let met = match t.met {
                    Some(true) => "yes",
                    Some(false) => "no",
                    None => "not measured",
                };
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} |",
                    t.name, t.target, t.measured, met
                );
            }
        }
        s
    }

    /// Two bar charts side by side: requests/s and p50/p99 latency per scenario.
    pub fn svg(&self) -> String {
        let rows = &self.rows;
        let n = rows.len().max(1);
        let bar_h = 22.0;
        let top = 40.0;
        let label_w = 190.0;
        let chart_w = 300.0;
        let height = top + n as f64 * (bar_h + 8.0) + 30.0;
        let width = label_w + 2.0 * chart_w + 120.0;
        let max_rps = rows.iter().map(|r| r.rps).fold(1.0, f64::max);
        let max_ms = rows.iter().map(|r| r.p99_ms).fold(1.0, f64::max);
        let mut s = String::new();
        let _ = writeln!(
            s,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" font-family=\"sans-serif\" font-size=\"12\">"
        );
        let _ = writeln!(
            s,
            "<rect width=\"100%\" height=\"100%\" fill=\"white\"/><text x=\"{label_w}\" y=\"20\" font-weight=\"bold\">requests/s</text><text x=\"{:.0}\" y=\"20\" font-weight=\"bold\">latency ms (p50 dark, p99 light)</text>",
            label_w + chart_w + 60.0
        );
        for (i, r) in rows.iter().enumerate() {
            let y = top + i as f64 * (bar_h + 8.0);
            let w = chart_w * r.rps / max_rps;
            let x2 = label_w + chart_w + 60.0;
            let w99 = chart_w * r.p99_ms / max_ms;
            let w50 = chart_w * r.p50_ms / max_ms;
            let _ = writeln!(
                s,
                "<text x=\"{:.0}\" y=\"{:.0}\" text-anchor=\"end\">{}</text>\
                 <rect x=\"{label_w}\" y=\"{y:.0}\" width=\"{w:.1}\" height=\"{bar_h}\" fill=\"#4878a8\"/>\
                 <text x=\"{:.1}\" y=\"{:.0}\">{:.0}</text>\
                 <rect x=\"{x2:.0}\" y=\"{y:.0}\" width=\"{w99:.1}\" height=\"{bar_h}\" fill=\"#f0b070\"/>\
                 <rect x=\"{x2:.0}\" y=\"{y:.0}\" width=\"{w50:.1}\" height=\"{bar_h}\" fill=\"#c06020\"/>\
                 <text x=\"{:.1}\" y=\"{:.0}\">{} / {}</text>",
                label_w - 8.0,
                y + 15.0,
                escape(&r.scenario),
                label_w + w + 4.0,
                y + 15.0,
                r.rps,
                x2 + w99 + 4.0,
                y + 15.0,
                ms(r.p50_ms),
                ms(r.p99_ms)
            );
        }
        s.push_str("</svg>\n");
        s
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

pub fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}
