//! Conformance: `DiscoveryStore` (search, trends, suggestions).

use super::W;
use jiff::Timestamp;
use roost_core::model::*;
use roost_core::search::Scope;
use roost_core::store::{Store, SuggestionSource};
use roost_core::Id;

async fn discoverable(s: &dyn Store, id: Id) {
    let up = ProfileUpdate {
        display_name: None,
        note_source: None,
        note_html: None,
        locked: None,
        bot: None,
        discoverable: Some(true),
    };
    s.update_profile(id, &up).await.unwrap();
}

pub async fn discovery_index_states_skip_reblogs(s: &dyn Store) {
    let w = W::new(s);
    let a = w.account("idxa").await;
    let first = w.post(a, Visibility::Public).await;
    let second = w.post(a, Visibility::Direct).await;
    w.reblog(a, first).await;
    let all = s.index_states(Id(0), 100).await.unwrap();
    let ids: Vec<Id> = all.iter().map(|(i, _)| *i).collect();
    assert_eq!(ids, vec![first, second], "oldest first, no reblogs");
    assert_eq!(s.index_states(first, 100).await.unwrap().len(), 1);
    assert_eq!(s.index_states(Id(0), 1).await.unwrap().len(), 1);
    let edit = StatusEdit {
        text: "edited".into(),
        content_html: "<p>edited</p>".into(),
        spoiler_text: String::new(),
        sensitive: false,
        language: None,
        mentions: Vec::new(),
        tags: Vec::new(),
        edited_at: Timestamp::now(),
    };
    s.edit_status(first, &edit).await.unwrap();
    let after = s.index_states(Id(0), 100).await.unwrap();
    assert!(after[0].1.is_some(), "edit times are reported");
}

pub async fn discovery_searchable_follows_mastodon(s: &dyn Store) {
    let w = W::new(s);
    let (a, b, c) = (
        w.account("sa").await,
        w.account("sb").await,
        w.account("sc").await,
    );
    let public = w.post(a, Visibility::Public).await;
    let private = w.post(a, Visibility::Private).await;
    let all = [public, private];
    assert_eq!(
        s.searchable(a, &all, None).await.unwrap().len(),
        2,
        "own posts"
    );
    assert!(
        s.searchable(b, &all, None).await.unwrap().is_empty(),
        "not opted in"
    );
    s.set_indexable(a, true).await.unwrap();
    assert!(s.indexable(a).await.unwrap());
    assert!(!s.indexable(b).await.unwrap());
    assert_eq!(s.searchable(b, &all, None).await.unwrap(), vec![public]);
    assert!(s
        .searchable(b, &all, Some(Scope::Library))
        .await
        .unwrap()
        .is_empty());
    s.set_indexable(a, false).await.unwrap();
    s.favourite(w.id(), b, public, None).await.unwrap();
    assert_eq!(
        s.searchable(b, &all, Some(Scope::Library)).await.unwrap(),
        vec![public]
    );
    assert!(s
        .searchable(b, &all, Some(Scope::Public))
        .await
        .unwrap()
        .is_empty());
    let mut d = w.draft(a, Visibility::Direct);
    d.mentions = vec![c];
    let dm = w.create(d).await;
    assert_eq!(s.searchable(c, &[dm], None).await.unwrap(), vec![dm]);
    assert!(s.searchable(b, &[dm], None).await.unwrap().is_empty());
    s.bookmark(w.id(), c, public).await.unwrap();
    assert_eq!(
        s.searchable(c, &[public], None).await.unwrap(),
        vec![public]
    );
    // A block by the author hides even one's own library.
    s.block(w.id(), a, c, Timestamp::now()).await.unwrap();
    assert!(s
        .searchable(c, &[dm, public], None)
        .await
        .unwrap()
        .is_empty());
    assert!(s.searchable(c, &[], None).await.unwrap().is_empty());
}

pub async fn discovery_account_and_tag_search(s: &dyn Store) {
    let w = W::new(s);
    let a = w.account("findme").await;
    let b = w.account("findyou").await;
    let v = w.account("seeker").await;
    let q = w.name("find");
    let found = s
        .search_accounts("find", Some(v), false, 10, 0)
        .await
        .unwrap();
    assert!(found.contains(&a) && found.contains(&b));
    let exact = s
        .search_accounts(&w.name("findme"), None, false, 10, 0)
        .await
        .unwrap();
    assert_eq!(exact, vec![a]);
    assert!(
        s.search_accounts(&q, None, false, 10, 0)
            .await
            .unwrap()
            .is_empty(),
        "prefix of the username"
    );
    assert!(
        s.search_accounts("%", None, false, 10, 0)
            .await
            .unwrap()
            .is_empty(),
        "wildcards are literal"
    );
    assert!(s
        .search_accounts("find", Some(v), true, 10, 0)
        .await
        .unwrap()
        .is_empty());
    w.follow(v, b).await;
    assert_eq!(
        s.search_accounts("find", Some(v), true, 10, 0)
            .await
            .unwrap(),
        vec![b]
    );
    s.block(w.id(), a, v, Timestamp::now()).await.unwrap();
    assert!(!s
        .search_accounts("find", Some(v), false, 10, 0)
        .await
        .unwrap()
        .contains(&a));
    let page = s.search_accounts("find", None, false, 1, 1).await.unwrap();
    assert_eq!(page.len(), 1);

    let tag = format!("t{}", w.tag);
    let mut d = w.draft(a, Visibility::Public);
    d.tags = vec![tag.clone(), format!("{tag}x")];
    w.create(d).await;
    let mut d = w.draft(b, Visibility::Public);
    d.tags = vec![tag.clone()];
    w.create(d).await;
    let mut d = w.draft(b, Visibility::Private);
    d.tags = vec![format!("{tag}p")];
    w.create(d).await;
    let tags = s.search_tags(&tag, 10, 0).await.unwrap();
    assert_eq!(tags[0], tag, "exact first");
    assert_eq!(tags.len(), 3);
    let since = Timestamp::now() - jiff::SignedDuration::from_hours(24);
    let uses = s
        .tag_uses(since, Some(std::slice::from_ref(&tag)))
        .await
        .unwrap();
    assert_eq!(uses.len(), 1);
    assert_eq!((uses[0].uses, uses[0].accounts), (2, 2));
    let all = s.tag_uses(since, None).await.unwrap();
    assert!(
        !all.iter().any(|u| u.tag == format!("{tag}p")),
        "public posts only"
    );
    assert!(s.tag_uses(since, Some(&[])).await.unwrap().is_empty());
}

pub async fn discovery_engaged_statuses(s: &dyn Store) {
    let w = W::new(s);
    let (a, b) = (w.account("ea").await, w.account("eb").await);
    let quiet = w.post(a, Visibility::Public).await;
    let liked = w.post(a, Visibility::Public).await;
    let private = w.post(a, Visibility::Private).await;
    let loved = w.post(a, Visibility::Public).await;
    s.favourite(w.id(), b, liked, None).await.unwrap();
    s.favourite(w.id(), b, private, None).await.unwrap();
    s.favourite(w.id(), b, loved, None).await.unwrap();
    w.reblog(b, loved).await;
    let since = Timestamp::now() - jiff::SignedDuration::from_hours(24);
    let got = s.engaged_statuses(since, 10, 0).await.unwrap();
    assert_eq!(got, vec![loved, liked]);
    assert!(!got.contains(&quiet));
    assert_eq!(s.engaged_statuses(since, 10, 1).await.unwrap(), vec![liked]);
}

pub async fn discovery_suggestions(s: &dyn Store) {
    let w = W::new(s);
    let (me, friend, fof, popular, blocked) = (
        w.account("me").await,
        w.account("friend").await,
        w.account("fof").await,
        w.account("popular").await,
        w.account("blocked").await,
    );
    for id in [friend, fof, popular, blocked] {
        discoverable(s, id).await;
    }
    w.follow(me, friend).await;
    w.follow(friend, fof).await;
    w.follow(friend, blocked).await;
    w.follow(fof, popular).await;
    s.block(w.id(), me, blocked, Timestamp::now())
        .await
        .unwrap();
    let got = s.suggestions(me, 10).await.unwrap();
    assert_eq!(got[0], (fof, SuggestionSource::FriendsOfFriends));
    let ids: Vec<Id> = got.iter().map(|(i, _)| *i).collect();
    assert!(ids.contains(&popular));
    assert!(!ids.contains(&me) && !ids.contains(&friend) && !ids.contains(&blocked));
    s.dismiss_suggestion(me, fof).await.unwrap();
    s.dismiss_suggestion(me, fof).await.unwrap();
    let ids: Vec<Id> = s
        .suggestions(me, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|(i, _)| i)
        .collect();
    assert!(!ids.contains(&fof));
    assert!(s.suggestions(me, 1).await.unwrap().len() <= 1);
}
