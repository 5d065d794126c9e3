//! roost-search: the full-text status index behind core's `SearchIndex` port, on tantivy
//! in a directory of the region's data dir. Only IDs and searchable fields are kept (no
//! stored text); a removal rewrites the segments that held the removed posts and deletes
//! the old files before it returns, so no bytes of them stay on disk.

pub mod tokenize;

use roost_core::search::{IndexDoc, IndexQuery, IndexState, SearchError, SearchIndex};
use roost_core::Id;
use std::ops::Bound;
use std::path::Path;
use std::sync::Mutex;
use tantivy::collector::{Collector, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, EnableScoring, Occur, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, INDEXED, STRING,
};
use tantivy::tokenizer::{Language, LowerCaser, Stemmer, TextAnalyzer};
use tantivy::{Index, IndexReader, IndexWriter, Order, ReloadPolicy, TantivyDocument, Term};
use tokenize::{Mode, RoostTokenizer};

/// Bump when the schema or the tokenizer changes: an index of another version is rebuilt.
const SCHEMA_VERSION: &str = "roost-search-2";
const VERSION_FILE: &str = "roost-version";
const WRITER_HEAP: usize = 20_000_000;
/// Merges are run by `apply` itself (no background merge threads), so that under the
/// writer's lock no segment is being written but the committed ones.
const MAX_SEGMENTS: usize = 12;

struct Fields {
    id: Field,
    author: Field,
    text: Field,
    tags: Field,
    lang: Field,
    reply: Field,
    sensitive: Field,
    link: Field,
    public: Field,
    /// `has:` names (media, image, video, audio, poll), one term each.
    has: Field,
    foreign: Field,
    created: Field,
    edited: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("roost")
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    let flag = INDEXED | FAST;
    let f = Fields {
        id: b.add_u64_field("id", INDEXED | FAST),
        author: b.add_u64_field("author", INDEXED | FAST),
        text: b.add_text_field("text", text),
        tags: b.add_text_field("tags", STRING),
        lang: b.add_text_field("lang", STRING),
        reply: b.add_u64_field("reply", flag.clone()),
        sensitive: b.add_u64_field("sensitive", flag.clone()),
        link: b.add_u64_field("link", flag.clone()),
        public: b.add_u64_field("public", flag.clone()),
        has: b.add_text_field("has", STRING),
        foreign: b.add_u64_field("foreign", flag),
        created: b.add_i64_field("created", INDEXED | FAST),
        edited: b.add_i64_field("edited", FAST),
    };
    (b.build(), f)
}

fn analyzer(mode: Mode) -> TextAnalyzer {
    TextAnalyzer::builder(RoostTokenizer(mode))
        .filter(LowerCaser)
        .filter(Stemmer::new(Language::English))
        .build()
}

fn err(e: impl std::fmt::Display) -> SearchError {
    SearchError::Backend(e.to_string())
}

/// The tantivy index of one region.
pub struct TantivyIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    f: Fields,
    dir: std::path::PathBuf,
    /// Query words are cut in precise mode by their own analyzer.
    query_analyzer: Mutex<TextAnalyzer>,
}

impl TantivyIndex {
    /// Opens the index in `dir`, creating it (empty) when missing or of another version.
    /// Returns whether it was created, so the caller knows to rebuild it from the store.
    pub fn open(dir: &Path) -> Result<(TantivyIndex, bool), SearchError> {
        let version = std::fs::read_to_string(dir.join(VERSION_FILE)).unwrap_or_default();
        let fresh = version.trim() != SCHEMA_VERSION;
        if fresh && dir.exists() {
            std::fs::remove_dir_all(dir).map_err(err)?;
        }
        std::fs::create_dir_all(dir).map_err(err)?;
        let (schema, f) = schema();
        let mmap = tantivy::directory::MmapDirectory::open(dir).map_err(err)?;
        let index = Index::open_or_create(mmap, schema).map_err(err)?;
        index.tokenizers().register("roost", analyzer(Mode::Index));
        let writer: IndexWriter = index.writer_with_num_threads(1, WRITER_HEAP).map_err(err)?;
        writer.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(err)?;
        if fresh {
            std::fs::write(dir.join(VERSION_FILE), SCHEMA_VERSION).map_err(err)?;
        }
        Ok((
            TantivyIndex {
                index,
                reader,
                writer: Mutex::new(writer),
                f,
                dir: dir.to_path_buf(),
                query_analyzer: Mutex::new(analyzer(Mode::Query)),
            },
            fresh,
        ))
    }

    fn doc(&self, d: IndexDoc) -> TantivyDocument {
        let f = &self.f;
        let mut doc = TantivyDocument::default();
        doc.add_u64(f.id, d.id.0 as u64);
        doc.add_u64(f.author, d.author.0 as u64);
        doc.add_text(f.text, &d.text);
        for t in &d.tags {
            doc.add_text(f.tags, t);
        }
        if let Some(l) = &d.language {
            doc.add_text(f.lang, l.to_ascii_lowercase());
        }
        doc.add_u64(f.reply, d.reply as u64);
        doc.add_u64(f.sensitive, d.sensitive as u64);
        doc.add_u64(f.link, d.link as u64);
        doc.add_u64(f.public, d.public as u64);
        for h in &d.has {
            doc.add_text(f.has, h.as_str());
        }
        doc.add_u64(f.foreign, d.foreign as u64);
        doc.add_i64(f.created, d.created_at.as_millisecond());
        doc.add_i64(f.edited, d.edited_at.map_or(0, |t| t.as_millisecond()));
        doc
    }

    /// Deletes segment files the committed index no longer lists. The collection keeps
    /// files of segments some object still refers to, which can outlive their use; under
    /// the writer's lock, with merges run only in `apply`, nothing else is being written,
    /// so every unlisted segment file is garbage. (A query still reading one keeps its
    /// mapping; unlinking does not disturb it.)
    fn sweep(&self) -> Result<(), SearchError> {
        let listed: std::collections::HashSet<String> = self
            .index
            .searchable_segment_metas()
            .map_err(err)?
            .iter()
            .map(|m| m.id().uuid_string())
            .collect();
        for e in std::fs::read_dir(&self.dir).map_err(err)? {
            let e = e.map_err(err)?;
            let name = e.file_name().to_string_lossy().into_owned();
            if segment_stem(&name).is_some_and(|stem| !listed.contains(stem)) {
                std::fs::remove_file(e.path()).map_err(err)?;
            }
        }
        Ok(())
    }

    fn words(&self, text: &str) -> Vec<Term> {
        let mut a = self
            .query_analyzer
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let mut stream = a.token_stream(text);
        let mut terms = Vec::new();
        while stream.advance() {
            terms.push(Term::from_field_text(self.f.text, &stream.token().text));
        }
        terms
    }

    /// The query's matches, newest first, and how many segments were read for them.
    fn newest_first(&self, q: &IndexQuery) -> Result<(Vec<Id>, usize), SearchError> {
        if q.is_empty() || q.limit == 0 {
            return Ok((Vec::new(), 0));
        }
        let f = &self.f;
        let mut must: Vec<Box<dyn Query>> = Vec::new();
        for t in self.words(&q.words) {
            must.push(Box::new(TermQuery::new(t, IndexRecordOption::Basic)));
        }
        for t in &q.tags {
            must.push(Box::new(TermQuery::new(
                Term::from_field_text(f.tags, t),
                IndexRecordOption::Basic,
            )));
        }
        if let Some(a) = q.author {
            must.push(Box::new(TermQuery::new(
                Term::from_field_u64(f.author, a.0 as u64),
                IndexRecordOption::Basic,
            )));
        }
        if let Some(l) = &q.language {
            must.push(Box::new(TermQuery::new(
                Term::from_field_text(f.lang, &l.to_ascii_lowercase()),
                IndexRecordOption::Basic,
            )));
        }
        for (field, v) in [
            (f.reply, q.reply),
            (f.sensitive, q.sensitive),
            (f.link, q.link),
            (f.public, q.public),
        ] {
            if let Some(v) = v {
                must.push(term_u64(field, v));
            }
        }
        if q.after.is_some() || q.before.is_some() {
            let lo = q.after.map_or(Bound::Unbounded, |t| {
                Bound::Included(Term::from_field_i64(f.created, t.as_millisecond()))
            });
            let hi = q.before.map_or(Bound::Unbounded, |t| {
                Bound::Excluded(Term::from_field_i64(f.created, t.as_millisecond()))
            });
            must.push(Box::new(RangeQuery::new(lo, hi)));
        }
        if q.min_id.is_some() || q.max_id.is_some() {
            let lo = q.min_id.map_or(Bound::Unbounded, |i| {
                Bound::Excluded(Term::from_field_u64(f.id, i.0 as u64))
            });
            let hi = q.max_id.map_or(Bound::Unbounded, |i| {
                Bound::Excluded(Term::from_field_u64(f.id, i.0 as u64))
            });
            must.push(Box::new(RangeQuery::new(lo, hi)));
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> =
            must.into_iter().map(|m| (Occur::Must, m)).collect();
        for (h, yes) in &q.has {
            let t: Box<dyn Query> = Box::new(TermQuery::new(
                Term::from_field_text(f.has, h.as_str()),
                IndexRecordOption::Basic,
            ));
            clauses.push((if *yes { Occur::Must } else { Occur::MustNot }, t));
        }
        if clauses.iter().all(|(o, _)| *o == Occur::MustNot) {
            clauses.push((Occur::Must, Box::new(AllQuery)));
        }
        let query: Box<dyn Query> = Box::new(BooleanQuery::new(clauses));
        let searcher = self.reader.searcher();
        let top = TopDocs::with_limit(q.limit).order_by_fast_field::<u64>("id", Order::Desc);
        let weight = query
            .weight(EnableScoring::disabled_from_searcher(&searcher))
            .map_err(err)?;
        // Newest segment first, stopping once a page is full of IDs newer than anything
        // the next segment holds: a word found in every post reads the newest few
        // segments, not a million postings. (tantivy's own search visits every segment.)
        let mut order = Vec::new();
        for (ord, seg) in searcher.segment_readers().iter().enumerate() {
            let col = seg.fast_fields().u64("id").map_err(err)?;
            if seg.num_docs() == 0 {
                continue;
            }
            order.push((col.max_value(), col.min_value(), ord));
        }
        order.sort_unstable_by(|a, b| b.cmp(a));
        let (lo, hi) = (q.min_id.map(|i| i.0 as u64), q.max_id.map(|i| i.0 as u64));
        let mut found: Vec<u64> = Vec::new();
        let mut read = 0;
        for (max, min, ord) in order {
            if hi.is_some_and(|hi| min >= hi) || lo.is_some_and(|lo| max <= lo) {
                continue;
            }
            if found.len() >= q.limit && found[q.limit - 1] >= max {
                break;
            }
            let seg = searcher.segment_reader(ord as u32);
            let fruit = top
                .collect_segment(weight.as_ref(), ord as u32, seg)
                .map_err(err)?;
            read += 1;
            let page = top.merge_fruits(vec![fruit]).map_err(err)?;
            found.extend(page.into_iter().map(|(id, _)| id));
            found.sort_unstable_by(|a, b| b.cmp(a));
            found.truncate(q.limit);
        }
        Ok((found.into_iter().map(|id| Id(id as i64)).collect(), read))
    }

    fn ids_of(&self, hits: Vec<(f32, tantivy::DocAddress)>) -> Result<Vec<Id>, SearchError> {
        let searcher = self.reader.searcher();
        let mut out = Vec::with_capacity(hits.len());
        for (_, addr) in hits {
            let col = searcher
                .segment_reader(addr.segment_ord)
                .fast_fields()
                .u64("id")
                .map_err(err)?;
            if let Some(id) = col.first(addr.doc_id) {
                out.push(Id(id as i64));
            }
        }
        Ok(out)
    }
}

/// Runs of neighbouring segments (given oldest first, by document count) to merge so
/// that `keep` remain: the neighbours with the fewest documents together go first, so
/// old posts gather in a few large segments and the newest stay in small ones, which a
/// newest-first query reads alone. Returns only runs of two or more, oldest first.
fn merge_runs(sizes: &[u32], keep: usize) -> Vec<Vec<usize>> {
    let mut runs: Vec<(Vec<usize>, u64)> = sizes
        .iter()
        .enumerate()
        .map(|(i, n)| (vec![i], u64::from(*n)))
        .collect();
    while runs.len() > keep.max(1) {
        let i = (0..runs.len() - 1)
            .min_by_key(|&i| runs[i].1 + runs[i + 1].1)
            .expect("at least two runs");
        let (next, n) = runs.remove(i + 1);
        runs[i].0.extend(next);
        runs[i].1 += n;
    }
    runs.into_iter()
        .map(|(r, _)| r)
        .filter(|r| r.len() > 1)
        .collect()
}

fn term_u64(field: Field, v: bool) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_u64(field, v as u64),
        IndexRecordOption::Basic,
    ))
}

impl SearchIndex for TantivyIndex {
    fn apply(&self, upserts: Vec<IndexDoc>, removes: &[Id]) -> Result<(), SearchError> {
        if upserts.is_empty() && removes.is_empty() {
            return Ok(());
        }
        let mut w = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        for id in removes {
            w.delete_term(Term::from_field_u64(self.f.id, id.0 as u64));
        }
        for d in upserts {
            w.delete_term(Term::from_field_u64(self.f.id, d.id.0 as u64));
            w.add_document(self.doc(d)).map_err(err)?;
        }
        w.commit().map_err(err)?;
        let metas = self.index.searchable_segment_metas().map_err(err)?;
        // Deleted documents stay in their segment until it is merged: rewrite every
        // segment with deletions now; and keep the number of segments small.
        let mut merge: Vec<_> = metas
            .iter()
            .filter(|m| !removes.is_empty() && m.has_deletes())
            .map(|m| m.id())
            .collect();
        let mut groups: Vec<Vec<tantivy::index::SegmentId>> = Vec::new();
        if metas.len() > MAX_SEGMENTS {
            // Segments in order of their newest ID; only neighbours are merged, so each
            // segment keeps a range of IDs of its own and queries can stop early.
            self.reader.reload().map_err(err)?;
            let searcher = self.reader.searcher();
            let mut spans: Vec<(u64, tantivy::index::SegmentId, u32)> = Vec::new();
            for seg in searcher.segment_readers() {
                let col = seg.fast_fields().u64("id").map_err(err)?;
                spans.push((col.max_value(), seg.segment_id(), seg.num_docs()));
            }
            spans.sort_unstable_by_key(|s| s.0);
            let sizes: Vec<u32> = spans.iter().map(|s| s.2).collect();
            for run in merge_runs(&sizes, MAX_SEGMENTS / 2) {
                groups.push(run.into_iter().map(|i| spans[i].1).collect());
            }
        }
        // A segment with deletions is rewritten alone unless a run already takes it.
        merge.retain(|id| !groups.iter().flatten().any(|g| g == id));
        groups.extend(merge.into_iter().map(|id| vec![id]));
        for g in &groups {
            w.merge(g).wait().map_err(err)?;
        }
        if !removes.is_empty() {
            self.reader.reload().map_err(err)?;
            w.garbage_collect_files().wait().map_err(err)?;
            self.sweep()?;
        }
        drop(w);
        self.reader.reload().map_err(err)?;
        Ok(())
    }

    fn query(&self, q: &IndexQuery) -> Result<Vec<Id>, SearchError> {
        Ok(self.newest_first(q)?.0)
    }

    fn similar(
        &self,
        text: &str,
        tags: &[String],
        exclude: Id,
        limit: usize,
    ) -> Result<Vec<Id>, SearchError> {
        let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for t in self.words(text) {
            // One-letter words (particles, single Han characters) say little.
            if t.value().as_str().is_some_and(|w| w.chars().count() > 1) && seen.insert(t.clone()) {
                should.push((
                    Occur::Should,
                    Box::new(TermQuery::new(t, IndexRecordOption::WithFreqs)),
                ));
            }
        }
        for t in tags {
            let q = TermQuery::new(
                Term::from_field_text(self.f.tags, t),
                IndexRecordOption::Basic,
            );
            should.push((Occur::Should, Box::new(BoostQuery::new(Box::new(q), 3.0))));
        }
        if should.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        should.push((
            Occur::MustNot,
            Box::new(TermQuery::new(
                Term::from_field_u64(self.f.id, exclude.0 as u64),
                IndexRecordOption::Basic,
            )),
        ));
        let searcher = self.reader.searcher();
        let hits = searcher
            .search(&BooleanQuery::new(should), &TopDocs::with_limit(limit))
            .map_err(err)?;
        self.ids_of(hits)
    }

    fn states(&self) -> Result<Vec<IndexState>, SearchError> {
        let searcher = self.reader.searcher();
        let mut out = Vec::new();
        for seg in searcher.segment_readers() {
            let ff = seg.fast_fields();
            let id = ff.u64("id").map_err(err)?;
            let edited = ff.i64("edited").map_err(err)?;
            let foreign = ff.u64("foreign").map_err(err)?;
            for doc in seg.doc_ids_alive() {
                let Some(i) = id.first(doc) else { continue };
                let e = edited.first(doc).unwrap_or(0);
                out.push(IndexState {
                    id: Id(i as i64),
                    edited_at: (e != 0)
                        .then(|| jiff::Timestamp::from_millisecond(e).ok())
                        .flatten(),
                    foreign: foreign.first(doc).unwrap_or(0) == 1,
                });
            }
        }
        Ok(out)
    }

    fn size_bytes(&self) -> u64 {
        std::fs::read_dir(&self.dir)
            .map(|rd| {
                rd.filter_map(|e| e.ok()?.metadata().ok())
                    .filter(|m| m.is_file())
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0)
    }
}

/// What the index in `dir` holds (read from its files, beside a running writer); `None`
/// when there is no index there. For the audit.
pub fn read_states(dir: &Path) -> Result<Option<Vec<IndexState>>, SearchError> {
    if !dir.join("meta.json").is_file() {
        return Ok(None);
    }
    let index = Index::open_in_dir(dir).map_err(err)?;
    let reader: IndexReader = index.reader().map_err(err)?;
    let searcher = reader.searcher();
    let mut out = Vec::new();
    for seg in searcher.segment_readers() {
        let ff = seg.fast_fields();
        let id = ff.u64("id").map_err(err)?;
        let foreign = ff.u64("foreign").map_err(err)?;
        for doc in seg.doc_ids_alive() {
            if let Some(i) = id.first(doc) {
                out.push(IndexState {
                    id: Id(i as i64),
                    edited_at: None,
                    foreign: foreign.first(doc).unwrap_or(0) == 1,
                });
            }
        }
    }
    Ok(Some(out))
}

/// The segment ID a file of the index belongs to (`<32 hex>.<ext>`).
fn segment_stem(name: &str) -> Option<&str> {
    let (stem, _) = name.split_once('.')?;
    (stem.len() == 32 && stem.bytes().all(|b| b.is_ascii_hexdigit())).then_some(stem)
}

/// Whether any file of the index in `dir` holds a trace of `word` (as the index would
/// cut it): a segment file on disk that the index no longer lists (not yet collected), or
/// a term of it in any segment's dictionary, live or deleted documents alike. For the
/// audit and the tests; reads the files, not the writer's view.
pub fn holds_word(dir: &Path, word: &str) -> Result<bool, SearchError> {
    let index = Index::open_in_dir(dir).map_err(err)?;
    index.tokenizers().register("roost", analyzer(Mode::Index));
    let listed: std::collections::HashSet<String> = index
        .searchable_segment_metas()
        .map_err(err)?
        .iter()
        .map(|m| m.id().uuid_string())
        .collect();
    for e in std::fs::read_dir(dir).map_err(err)? {
        let name = e.map_err(err)?.file_name().to_string_lossy().into_owned();
        if segment_stem(&name).is_some_and(|stem| !listed.contains(stem)) {
            return Ok(true);
        }
    }
    let text = index.schema().get_field("text").map_err(err)?;
    let mut a = analyzer(Mode::Index);
    let mut stream = a.token_stream(word);
    let mut terms = Vec::new();
    while stream.advance() {
        terms.push(stream.token().text.clone());
    }
    let reader: IndexReader = index.reader().map_err(err)?;
    for seg in reader.searcher().segment_readers() {
        let inv = seg.inverted_index(text).map_err(err)?;
        for t in &terms {
            if inv.terms().get(t.as_bytes()).map_err(err)?.is_some() {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests;
