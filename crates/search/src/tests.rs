use super::*;

fn doc(id: i64, text: &str) -> IndexDoc {
    IndexDoc {
        id: Id(id),
        author: Id(1),
        text: text.into(),
        tags: Vec::new(),
        language: None,
        reply: false,
        sensitive: false,
        link: false,
        public: true,
        has: Vec::new(),
        created_at: jiff::Timestamp::from_millisecond(id * 1000).unwrap(),
        edited_at: None,
        foreign: false,
    }
}

fn q(words: &str) -> IndexQuery {
    IndexQuery {
        words: words.into(),
        limit: 20,
        ..Default::default()
    }
}

fn ids(v: &[i64]) -> Vec<Id> {
    v.iter().map(|i| Id(*i)).collect()
}

fn files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn chinese_and_english_queries_find_the_right_posts() {
    let dir = tempfile::tempdir().unwrap();
    let (idx, fresh) = TantivyIndex::open(dir.path()).unwrap();
    assert!(fresh);
    idx.apply(
        vec![
            doc(1, "小米发布了新款手机，搭载自研的手机操作系统。"),
            doc(2, "今天的大米饭很好吃"),
            doc(3, "The runners were running quickly"),
            doc(4, "Ｒｕｓｔ　is great"),
        ],
        &[],
    )
    .unwrap();
    assert_eq!(idx.query(&q("小米")).unwrap(), ids(&[1]));
    assert_eq!(idx.query(&q("手机操作系统")).unwrap(), ids(&[1]));
    assert_eq!(idx.query(&q("系统")).unwrap(), ids(&[1]));
    assert_eq!(idx.query(&q("大米")).unwrap(), ids(&[2]));
    assert_eq!(idx.query(&q("run")).unwrap(), ids(&[3]));
    assert_eq!(idx.query(&q("RUNNING")).unwrap(), ids(&[3]));
    assert_eq!(idx.query(&q("rust")).unwrap(), ids(&[4]));
    assert!(idx.query(&q("python")).unwrap().is_empty());
    assert!(idx.query(&q("")).unwrap().is_empty());
}

#[test]
fn an_edit_replaces_and_a_reopen_keeps() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (idx, _) = TantivyIndex::open(dir.path()).unwrap();
        idx.apply(vec![doc(1, "first words")], &[]).unwrap();
        idx.apply(vec![doc(1, "second words")], &[]).unwrap();
        assert!(idx.query(&q("first")).unwrap().is_empty());
        assert_eq!(idx.query(&q("second")).unwrap(), ids(&[1]));
    }
    let (idx, fresh) = TantivyIndex::open(dir.path()).unwrap();
    assert!(!fresh);
    assert_eq!(idx.states().unwrap().len(), 1);
    assert_eq!(idx.query(&q("words")).unwrap(), ids(&[1]));
}

#[test]
fn a_removed_post_leaves_no_bytes_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let (idx, _) = TantivyIndex::open(dir.path()).unwrap();
    idx.apply(vec![doc(1, "keepsake 保留")], &[]).unwrap();
    idx.apply(vec![doc(2, "zanzibarquux 秘密菠萝")], &[])
        .unwrap();
    idx.apply(vec![doc(3, "another keepsake")], &[]).unwrap();
    assert!(holds_word(dir.path(), "zanzibarquux").unwrap());
    assert!(holds_word(dir.path(), "菠萝").unwrap());
    let before: Vec<String> = files(dir.path());
    idx.apply(Vec::new(), &[Id(2)]).unwrap();
    assert!(!holds_word(dir.path(), "zanzibarquux").unwrap());
    assert!(!holds_word(dir.path(), "菠萝").unwrap());
    assert!(holds_word(dir.path(), "keepsake").unwrap());
    // The segment files that held it are gone, not just marked deleted.
    let after = files(dir.path());
    assert!(before
        .iter()
        .any(|f| f.ends_with(".term") && !after.contains(f)));
    assert!(!after.iter().any(|f| f.ends_with(".del")));
    assert_eq!(idx.query(&q("keepsake")).unwrap(), ids(&[3, 1]));
}

#[test]
fn filters_and_similarity() {
    let dir = tempfile::tempdir().unwrap();
    let (idx, _) = TantivyIndex::open(dir.path()).unwrap();
    let mut a = doc(1, "手机操作系统的更新");
    a.tags = vec!["rust".into()];
    a.reply = true;
    let mut b = doc(2, "新的手机操作系统发布");
    b.language = Some("zh".into());
    let c = doc(3, "周末去西湖散步");
    idx.apply(vec![a, b, c], &[]).unwrap();
    let mut only_replies = q("手机");
    only_replies.reply = Some(true);
    assert_eq!(idx.query(&only_replies).unwrap(), ids(&[1]));
    let mut zh = q("手机");
    zh.language = Some("ZH".into());
    assert_eq!(idx.query(&zh).unwrap(), ids(&[2]));
    let tagged = IndexQuery {
        tags: vec!["rust".into()],
        limit: 5,
        ..Default::default()
    };
    assert_eq!(idx.query(&tagged).unwrap(), ids(&[1]));
    let mut older = q("手机");
    older.max_id = Some(Id(2));
    assert_eq!(idx.query(&older).unwrap(), ids(&[1]));
    let similar = idx.similar("手机操作系统", &[], Id(1), 5).unwrap();
    assert_eq!(similar, ids(&[2]));
}

#[test]
fn a_removed_post_sharing_a_segment_leaves_no_bytes_either() {
    let dir = tempfile::tempdir().unwrap();
    let (idx, _) = TantivyIndex::open(dir.path()).unwrap();
    idx.apply(
        vec![doc(1, "keepsake 保留"), doc(2, "quuxzanzibar 秘密菠萝")],
        &[],
    )
    .unwrap();
    assert!(holds_word(dir.path(), "quuxzanzibar").unwrap());
    idx.apply(Vec::new(), &[Id(2)]).unwrap();
    assert!(!holds_word(dir.path(), "quuxzanzibar").unwrap());
    assert!(!holds_word(dir.path(), "菠萝").unwrap());
    assert_eq!(idx.query(&q("keepsake")).unwrap(), ids(&[1]));
    assert!(!files(dir.path()).iter().any(|f| f.ends_with(".del")));
}

#[test]
fn has_matches_what_a_post_carries() {
    use roost_core::search::Has;
    let dir = tempfile::tempdir().unwrap();
    let (idx, _) = TantivyIndex::open(dir.path()).unwrap();
    let mut a = doc(1, "cat picture");
    a.has = vec![Has::Media, Has::Image];
    let mut b = doc(2, "cat poll");
    b.has = vec![Has::Poll];
    let c = doc(3, "cat words");
    idx.apply(vec![a, b, c], &[]).unwrap();
    let with = |h: &[(Has, bool)]| {
        let mut x = q("cat");
        x.has = h.to_vec();
        idx.query(&x).unwrap()
    };
    assert_eq!(with(&[(Has::Media, true)]), ids(&[1]));
    assert_eq!(with(&[(Has::Image, true)]), ids(&[1]));
    assert_eq!(with(&[(Has::Video, true)]), ids(&[]));
    assert_eq!(with(&[(Has::Poll, true)]), ids(&[2]));
    assert_eq!(with(&[(Has::Poll, false)]), ids(&[3, 1]));
    assert_eq!(with(&[(Has::Media, false), (Has::Poll, false)]), ids(&[3]));
}

#[test]
fn merge_runs_join_only_neighbours_smallest_first() {
    assert!(merge_runs(&[5, 5, 5], 3).is_empty());
    // Old large segments stay; the small new ones gather.
    assert_eq!(
        merge_runs(&[1000, 900, 3, 2, 2, 1], 3),
        vec![vec![2, 3, 4, 5]]
    );
    let runs = merge_runs(&[7, 1, 9, 1, 1, 8, 2, 2, 6], 4);
    let mut all: Vec<usize> = runs.iter().flatten().copied().collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), runs.iter().map(Vec::len).sum::<usize>());
    for r in &runs {
        assert!(r.windows(2).all(|w| w[1] == w[0] + 1), "{r:?} is not a run");
    }
    assert_eq!(9 - runs.iter().map(|r| r.len() - 1).sum::<usize>(), 4);
}

/// A word in every post reads only the newest segments, and the answer is the one a
/// full scan gives, also with IDs that arrived out of order and across pages.
#[test]
fn a_broad_query_reads_the_newest_segments_only() {
    let dir = tempfile::tempdir().unwrap();
    let (idx, _) = TantivyIndex::open(dir.path()).unwrap();
    // 40 commits of 25 posts: more segments than are kept, so merges run too.
    let mut expected: Vec<i64> = Vec::new();
    for batch in 0..40i64 {
        let docs: Vec<IndexDoc> = (0..25)
            .map(|i| doc(1000 + batch * 25 + i, "common word"))
            .collect();
        expected.extend(docs.iter().map(|d| d.id.0));
        idx.apply(docs, &[]).unwrap();
    }
    // A post with an old ID indexed last (a late arrival), and an old one edited.
    idx.apply(vec![doc(500, "common late")], &[]).unwrap();
    idx.apply(vec![doc(1001, "common edited")], &[]).unwrap();
    expected.push(500);
    expected.sort_unstable_by(|a, b| b.cmp(a));

    let segments = idx.reader.searcher().segment_readers().len();
    assert!(segments > 3 && segments <= MAX_SEGMENTS, "{segments}");
    let (page, read) = idx.newest_first(&q("common")).unwrap();
    assert_eq!(page, ids(&expected[..20]));
    assert!(read < segments, "read {read} of {segments} segments");
    assert!(read <= 3, "read {read} of {segments} segments");

    // Paging down to the oldest, through the late arrival.
    let mut all = Vec::new();
    let mut max_id = None;
    loop {
        let mut x = q("common");
        x.max_id = max_id;
        let (page, _) = idx.newest_first(&x).unwrap();
        let Some(last) = page.last() else { break };
        max_id = Some(*last);
        all.extend(page);
    }
    assert_eq!(all, ids(&expected));
    let (edited, _) = idx.newest_first(&q("edited")).unwrap();
    assert_eq!(edited, ids(&[1001]));
    let mut x = q("common");
    x.min_id = Some(Id(1990));
    assert_eq!(
        idx.newest_first(&x).unwrap().0,
        ids(&[1999, 1998, 1997, 1996, 1995, 1994, 1993, 1992, 1991])
    );
}
