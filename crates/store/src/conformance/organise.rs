//! Conformance: lists (members, timelines, replies policy, exclusivity), filters,
//! conversations and followed tags.

use super::*;

fn list(w: &W<'_>, owner: Id, title: &str, policy: RepliesPolicy, exclusive: bool) -> List {
    List {
        id: w.id(),
        account_id: owner,
        title: title.into(),
        replies_policy: policy,
        exclusive,
        created_at: now_ms(),
    }
}

/// Now, at the stored precision.
fn now_ms() -> Timestamp {
    Timestamp::from_millisecond(Timestamp::now().as_millisecond()).unwrap()
}

async fn new_list(w: &W<'_>, owner: Id, policy: RepliesPolicy, exclusive: bool) -> List {
    let l = list(w, owner, "friends", policy, exclusive);
    w.s.create_list(&l).await.expect("create list");
    l
}

async fn members(w: &W<'_>, l: Id) -> Vec<Id> {
    ids_of(&w.s.list_members(l, page(40)).await.expect("members"))
}

async fn list_tl(w: &W<'_>, l: Id) -> Vec<Id> {
    w.s.list_timeline(l, page(40)).await.expect("list timeline")
}

pub async fn lists_crud_and_ownership(s: &dyn Store) {
    let w = W::new(s);
    let alice = w.account("alice").await;
    let bob = w.account("bob").await;
    let a1 = new_list(&w, alice, RepliesPolicy::List, false).await;
    let a2 = new_list(&w, alice, RepliesPolicy::Followed, true).await;
    new_list(&w, bob, RepliesPolicy::None, false).await;

    let mine = s.lists_of(alice).await.unwrap();
    assert_eq!(
        mine,
        vec![a1.clone(), a2.clone()],
        "oldest first, only the owner's"
    );
    assert_eq!(s.list(alice, a1.id).await.unwrap(), Some(a1.clone()));
    assert_eq!(
        s.list(bob, a1.id).await.unwrap(),
        None,
        "someone else's list"
    );

    let mut renamed = a1.clone();
    renamed.title = "close friends".into();
    renamed.replies_policy = RepliesPolicy::None;
    assert!(s.update_list(&renamed).await.unwrap());
    assert_eq!(s.list(alice, a1.id).await.unwrap(), Some(renamed.clone()));
    let mut stolen = renamed.clone();
    stolen.account_id = bob;
    assert!(
        !s.update_list(&stolen).await.unwrap(),
        "not bob's to change"
    );
    assert_eq!(s.list(alice, a1.id).await.unwrap(), Some(renamed));

    assert!(!s.delete_list(bob, a1.id).await.unwrap());
    assert!(s.delete_list(alice, a1.id).await.unwrap());
    assert!(!s.delete_list(alice, a1.id).await.unwrap());
    assert_eq!(s.lists_of(alice).await.unwrap(), vec![a2]);
}

pub async fn list_members_rest_on_follows(s: &dyn Store) {
    let w = W::new(s);
    let alice = w.account("alice").await;
    let bob = w.account("bob").await;
    let carol = w.account("carol").await;
    let far = w.bare_account("far", "elsewhere").await;
    let l = new_list(&w, alice, RepliesPolicy::List, false).await;
    let other = new_list(&w, alice, RepliesPolicy::List, false).await;
    w.follow(alice, bob).await;
    w.follow(alice, far).await;

    // All or none: carol is not followed.
    let r = s
        .add_list_members(l.id, &[(w.id(), bob), (w.id(), carol)])
        .await;
    assert_missing(r, "follow");
    assert!(members(&w, l.id).await.is_empty(), "nothing added");

    s.add_list_members(l.id, &[(w.id(), bob), (w.id(), far)])
        .await
        .unwrap();
    assert_eq!(set(&members(&w, l.id).await), set(&[bob, far]));
    assert_conflict(s.add_list_members(l.id, &[(w.id(), bob)]).await, "member");
    s.add_list_members(other.id, &[(w.id(), bob)])
        .await
        .unwrap();

    // Paged by entry, newest first.
    let first = s.list_members(l.id, page(1)).await.unwrap();
    assert_eq!(ids_of(&first), vec![far]);
    let next = s
        .list_members(
            l.id,
            Page {
                max_id: Some(first[0].cursor),
                ..page(5)
            },
        )
        .await
        .unwrap();
    assert_eq!(ids_of(&next), vec![bob]);

    let with_bob: Vec<Id> = s
        .lists_with_member(alice, bob)
        .await
        .unwrap()
        .iter()
        .map(|l| l.id)
        .collect();
    assert_eq!(with_bob, vec![l.id, other.id]);
    assert!(s.lists_with_member(bob, bob).await.unwrap().is_empty());

    s.remove_list_members(l.id, &[far, carol]).await.unwrap();
    assert_eq!(members(&w, l.id).await, vec![bob]);

    // An unfollow ends every membership resting on the follow.
    assert!(s.unfollow(alice, bob).await.unwrap());
    assert!(members(&w, l.id).await.is_empty());
    assert!(members(&w, other.id).await.is_empty());
    assert!(s.lists_with_member(alice, bob).await.unwrap().is_empty());
}

pub async fn list_timeline_fanout_and_replies_policy(s: &dyn Store) {
    let w = W::new(s);
    let alice = w.account("alice").await;
    let bob = w.account("bob").await;
    let carol = w.account("carol").await;
    let dave = w.account("dave").await;
    for t in [bob, carol, dave] {
        w.follow(alice, t).await;
    }
    let before = w.post(bob, Visibility::Public).await;
    let by_list = new_list(&w, alice, RepliesPolicy::List, false).await;
    let by_followed = new_list(&w, alice, RepliesPolicy::Followed, false).await;
    let by_none = new_list(&w, alice, RepliesPolicy::None, false).await;
    for l in [&by_list, &by_followed, &by_none] {
        s.add_list_members(l.id, &[(w.id(), bob), (w.id(), carol)])
            .await
            .unwrap();
    }
    // Backfilled on joining.
    assert_eq!(list_tl(&w, by_list.id).await, vec![before]);

    let public = w.post(bob, Visibility::Public).await;
    let private = w.post(carol, Visibility::Private).await;
    let direct = w.post(bob, Visibility::Direct).await;
    let stranger = w.post(dave, Visibility::Public).await;
    let to_member = w.reply(bob, private, Visibility::Public).await;
    let to_followed = w.reply(bob, stranger, Visibility::Public).await;
    let to_owner = {
        let mine = w.post(alice, Visibility::Public).await;
        w.reply(carol, mine, Visibility::Public).await
    };
    let own_thread = w.reply(bob, public, Visibility::Public).await;
    let reblog = w.reblog(carol, stranger).await;

    let everything = [public, private, own_thread, to_owner, reblog];
    let got = list_tl(&w, by_list.id).await;
    for id in everything.iter().chain([&to_member, &before]) {
        assert!(got.contains(id), "list policy shows {id}");
    }
    assert!(
        !got.contains(&to_followed),
        "dave is followed but no member"
    );
    assert!(!got.contains(&direct) && !got.contains(&stranger));
    let got = list_tl(&w, by_followed.id).await;
    assert!(got.contains(&to_member) && got.contains(&to_followed));
    let got = list_tl(&w, by_none.id).await;
    for id in everything {
        assert!(got.contains(&id), "none policy still shows {id}");
    }
    assert!(!got.contains(&to_member) && !got.contains(&to_followed));
    let mut sorted = list_tl(&w, by_list.id).await;
    let copy = sorted.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(copy, sorted, "newest first");

    assert_eq!(
        set(&s
            .list_holders(public, Some(&[by_list.id, by_none.id, w.id()]))
            .await
            .unwrap()),
        set(&[by_list.id, by_none.id])
    );
    assert!(s
        .list_holders(to_followed, Some(&[by_list.id, by_none.id]))
        .await
        .unwrap()
        .is_empty());
    // Every list, for a deletion whose streams may be on other nodes.
    assert_eq!(
        set(&s.list_holders(public, None).await.unwrap()),
        set(&[by_list.id, by_followed.id, by_none.id])
    );

    // Leaving the list takes the member's posts with them; deleting a status, that one.
    s.remove_list_members(by_list.id, &[carol]).await.unwrap();
    let got = list_tl(&w, by_list.id).await;
    assert!(!got.contains(&private) && !got.contains(&reblog));
    s.delete_status(public).await.unwrap();
    assert!(!list_tl(&w, by_none.id).await.contains(&public));
}

pub async fn exclusive_lists_keep_members_out_of_home(s: &dyn Store) {
    let w = W::new(s);
    let alice = w.account("alice").await;
    let bob = w.account("bob").await;
    let carol = w.account("carol").await;
    w.follow(alice, bob).await;
    w.follow(alice, carol).await;
    w.follow(carol, bob).await;
    let old = w.post(bob, Visibility::Public).await;
    let mut dm = w.draft(bob, Visibility::Direct);
    dm.mentions = vec![alice];
    let dm = w.create(dm).await;
    assert!(w.home(alice).await.contains(&old));

    let l = new_list(&w, alice, RepliesPolicy::List, true).await;
    s.add_list_members(l.id, &[(w.id(), bob)]).await.unwrap();
    assert!(!w.home(alice).await.contains(&old), "left home on joining");
    assert!(
        w.home(alice).await.contains(&dm),
        "a direct message to her stays"
    );
    let new = w.post(bob, Visibility::Public).await;
    let from_carol = w.post(carol, Visibility::Public).await;
    let home = w.home(alice).await;
    assert!(!home.contains(&new) && home.contains(&from_carol));
    assert!(list_tl(&w, l.id).await.contains(&new));
    assert!(
        w.home(carol).await.contains(&new),
        "others' homes untouched"
    );

    // No longer exclusive: the member's recent posts come back home.
    let mut open = l.clone();
    open.exclusive = false;
    assert!(s.update_list(&open).await.unwrap());
    let home = w.home(alice).await;
    assert!(home.contains(&old) && home.contains(&new));
    let later = w.post(bob, Visibility::Public).await;
    assert!(w.home(alice).await.contains(&later));

    // Exclusive again, then the member leaves: home again.
    assert!(s.update_list(&l).await.unwrap());
    assert!(!w.home(alice).await.contains(&later));
    s.remove_list_members(l.id, &[bob]).await.unwrap();
    assert!(w.home(alice).await.contains(&later));
}

fn filter(w: &W<'_>, owner: Id, keywords: &[(&str, bool)]) -> Filter {
    Filter {
        id: w.id(),
        account_id: owner,
        title: "spoilers".into(),
        context: vec![FilterContext::Home, FilterContext::Thread],
        action: FilterAction::Warn,
        expires_at: None,
        created_at: now_ms(),
        keywords: keywords
            .iter()
            .map(|(k, whole)| FilterKeyword {
                id: w.id(),
                keyword: (*k).into(),
                whole_word: *whole,
            })
            .collect(),
        statuses: Vec::new(),
    }
}

pub async fn filters_save_read_and_delete(s: &dyn Store) {
    let w = W::new(s);
    let alice = w.account("alice").await;
    let bob = w.account("bob").await;
    let st = w.post(bob, Visibility::Public).await;
    let mut f = filter(&w, alice, &[("dragon", true), ("手机", false)]);
    f.statuses.push(FilterStatus {
        id: w.id(),
        status_id: st,
    });
    s.save_filter(&f).await.unwrap();
    let g = filter(&w, alice, &[]);
    s.save_filter(&g).await.unwrap();
    s.save_filter(&filter(&w, bob, &[("x", false)]))
        .await
        .unwrap();

    assert_eq!(
        s.filters_of(alice).await.unwrap(),
        vec![f.clone(), g.clone()]
    );
    assert_eq!(s.filter(alice, f.id).await.unwrap(), Some(f.clone()));
    assert_eq!(s.filter(bob, f.id).await.unwrap(), None, "someone else's");
    let k = f.keywords[1].id;
    assert_eq!(
        s.filter_holding(alice, FilterPart::Keyword(k))
            .await
            .unwrap(),
        Some(f.clone())
    );
    assert_eq!(
        s.filter_holding(bob, FilterPart::Keyword(k)).await.unwrap(),
        None
    );
    let fs = f.statuses[0].id;
    assert_eq!(
        s.filter_holding(alice, FilterPart::Status(fs))
            .await
            .unwrap(),
        Some(f.clone())
    );

    // Replacing: parts not named go, new ones come.
    let mut f2 = f.clone();
    f2.title = "renamed".into();
    f2.action = FilterAction::Hide;
    f2.context = vec![FilterContext::Notifications];
    f2.expires_at = Some(Timestamp::from_millisecond(4_000_000_000_000).unwrap());
    f2.keywords.remove(0);
    f2.keywords.push(FilterKeyword {
        id: w.id(),
        keyword: "wyvern".into(),
        whole_word: false,
    });
    s.save_filter(&f2).await.unwrap();
    assert_eq!(s.filter(alice, f.id).await.unwrap(), Some(f2.clone()));
    assert_eq!(
        s.filter_holding(alice, FilterPart::Keyword(f.keywords[0].id))
            .await
            .unwrap(),
        None
    );

    // Another owner's ID is refused; a missing status too, and nothing changes.
    let mut theft = f2.clone();
    theft.account_id = bob;
    assert_conflict(s.save_filter(&theft).await, "filter");
    let mut bad = f2.clone();
    bad.statuses.push(FilterStatus {
        id: w.id(),
        status_id: w.id(),
    });
    assert_missing(s.save_filter(&bad).await, "status");
    assert_eq!(s.filter(alice, f.id).await.unwrap(), Some(f2.clone()));

    // A deleted status leaves the filters it was in.
    s.delete_status(st).await.unwrap();
    assert!(s
        .filter(alice, f.id)
        .await
        .unwrap()
        .unwrap()
        .statuses
        .is_empty());

    assert!(!s.delete_filter(bob, f.id).await.unwrap());
    assert!(s.delete_filter(alice, f.id).await.unwrap());
    assert_eq!(s.filters_of(alice).await.unwrap(), vec![g]);
    assert_eq!(
        s.filter_holding(alice, FilterPart::Keyword(k))
            .await
            .unwrap(),
        None
    );
}

fn direct_draft(w: &W<'_>, author: Id, to: &[Id], parent: Option<&Status>) -> NewStatus {
    let mut d = match parent {
        Some(p) => w.reply_draft(author, p, Visibility::Direct),
        None => w.draft(author, Visibility::Direct),
    };
    d.mentions = to.to_vec();
    d
}

pub async fn conversations_follow_direct_statuses(s: &dyn Store) {
    let w = W::new(s);
    let alice = w.account("alice").await;
    let bob = w.account("bob").await;
    let carol = w.account("carol").await;
    let far = w.bare_account("far", "elsewhere").await;

    let first = w.create(direct_draft(&w, alice, &[bob, far], None)).await;
    let a = s.conversations(alice, page(20)).await.unwrap();
    let b = s.conversations(bob, page(20)).await.unwrap();
    assert_eq!(a.len(), 1);
    assert_eq!(b.len(), 1);
    assert_eq!(
        (a[0].id, a[0].unread, a[0].last_status_id),
        (first, false, Some(first))
    );
    assert_eq!((b[0].id, b[0].unread), (first, true));
    assert_eq!(set(&a[0].participants), set(&[bob, far]));
    assert_eq!(set(&b[0].participants), set(&[alice, far]));
    assert!(
        s.conversations(far, page(20)).await.unwrap().is_empty(),
        "foreign: none here"
    );
    assert!(s.conversations(carol, page(20)).await.unwrap().is_empty());
    // A public post opens nothing.
    w.post(alice, Visibility::Public).await;
    assert_eq!(s.conversations(alice, page(20)).await.unwrap().len(), 1);

    assert!(s.mark_conversation_read(bob, first).await.unwrap());
    assert!(!s.mark_conversation_read(carol, first).await.unwrap());
    assert!(!s.conversation(bob, first).await.unwrap().unwrap().unread);

    // A reply in the thread moves the same conversation up and makes it unread.
    let parent = w.status(first).await;
    let answer = w
        .create(direct_draft(&w, bob, &[alice], Some(&parent)))
        .await;
    let a = s.conversation(alice, first).await.unwrap().unwrap();
    assert_eq!((a.last_id, a.unread), (answer, true));
    assert!(!s.conversation(bob, first).await.unwrap().unwrap().unread);
    assert_eq!(
        s.conversations_of_status(answer, &[alice, bob, carol])
            .await
            .unwrap()
            .len(),
        2
    );
    assert!(s
        .conversations_of_status(first, &[alice, bob])
        .await
        .unwrap()
        .is_empty());

    // Another thread; paging by the newest status.
    let other = w.create(direct_draft(&w, carol, &[alice], None)).await;
    let page1 = s.conversations(alice, page(1)).await.unwrap();
    assert_eq!(page1[0].id, other);
    let page2 = s
        .conversations(
            alice,
            Page {
                max_id: Some(page1[0].last_id),
                ..page(5)
            },
        )
        .await
        .unwrap();
    assert_eq!(page2.iter().map(|c| c.id).collect::<Vec<_>>(), vec![first]);

    // Deleting the newest message moves each participant's conversation back to the
    // thread's newest remaining one.
    s.delete_status(answer).await.unwrap();
    for who in [alice, bob] {
        let c = s.conversation(who, first).await.unwrap().unwrap();
        assert_eq!((c.last_id, c.last_status_id), (first, Some(first)));
    }
    // A thread with nothing left is no conversation: carol's goes when its only message
    // does.
    s.delete_status(other).await.unwrap();
    assert!(s.conversation(carol, other).await.unwrap().is_none());
    assert!(s.conversation(alice, other).await.unwrap().is_none());
    assert_eq!(s.conversations(alice, page(5)).await.unwrap().len(), 1);

    // Deleted: gone for alice only; the next message opens it anew.
    assert!(s.delete_conversation(alice, first).await.unwrap());
    assert!(!s.delete_conversation(alice, first).await.unwrap());
    assert!(s.conversation(bob, first).await.unwrap().is_some());
    let again = w
        .create(direct_draft(&w, bob, &[alice], Some(&parent)))
        .await;
    let a = s.conversation(alice, again).await.unwrap().unwrap();
    assert!(a.unread);
    assert_eq!(
        s.conversation(bob, first).await.unwrap().unwrap().last_id,
        again
    );
}

pub async fn followed_tags_fan_out_to_home(s: &dyn Store) {
    let w = W::new(s);
    let alice = w.account("alice").await;
    let bob = w.account("bob").await;
    let far = w.bare_account("far", "elsewhere").await;
    assert!(s.follow_tag(w.id(), alice, "rust").await.unwrap());
    assert!(!s.follow_tag(w.id(), alice, "rust").await.unwrap());
    assert!(s.follow_tag(w.id(), alice, "猫").await.unwrap());
    assert!(s.follow_tag(w.id(), far, "rust").await.unwrap());

    let tagged = |v: Visibility, tag: &str| {
        let mut d = w.draft(bob, v);
        d.tags = vec![tag.into()];
        d
    };
    let public = w.create(tagged(Visibility::Public, "rust")).await;
    let cjk = w.create(tagged(Visibility::Public, "猫")).await;
    let unlisted = w.create(tagged(Visibility::Unlisted, "rust")).await;
    let other = w.create(tagged(Visibility::Public, "go")).await;
    let home = w.home(alice).await;
    assert!(home.contains(&public) && home.contains(&cjk));
    assert!(!home.contains(&unlisted) && !home.contains(&other));
    assert!(
        w.home(far).await.is_empty(),
        "no home timeline for a foreign account"
    );

    let got = s.followed_tags(alice, page(1)).await.unwrap();
    assert_eq!(
        got.iter().map(|c| c.item.as_str()).collect::<Vec<_>>(),
        vec!["猫"]
    );
    let rest = s
        .followed_tags(
            alice,
            Page {
                max_id: Some(got[0].cursor),
                ..page(5)
            },
        )
        .await
        .unwrap();
    assert_eq!(
        rest.iter().map(|c| c.item.as_str()).collect::<Vec<_>>(),
        vec!["rust"]
    );
    assert_eq!(
        sorted(
            s.following_tags(alice, &["rust".into(), "go".into(), "猫".into()])
                .await
                .unwrap()
        ),
        sorted(vec!["rust".into(), "猫".into()])
    );
    assert!(s.unfollow_tag(alice, "rust").await.unwrap());
    assert!(!s.unfollow_tag(alice, "rust").await.unwrap());
    let later = w.create(tagged(Visibility::Public, "rust")).await;
    assert!(!w.home(alice).await.contains(&later));
}

/// A requested follow may be in a list (as Mastodon allows): the member is listed at
/// once, but no post of theirs reaches the list until the follow is accepted; then their
/// recent posts are backfilled (and leave the home timeline of an exclusive list's
/// owner). A request withdrawn or refused ends the membership.
pub async fn list_members_may_wait_for_their_follow(s: &dyn Store) {
    let w = W::new(s);
    let alice = w.account("alice").await;
    let bob = w.account("bob").await;
    let carol = w.account("carol").await;
    let l = new_list(&w, alice, RepliesPolicy::List, true).await;
    for target in [bob, carol] {
        let st = s
            .follow(w.id(), alice, target, FollowState::Requested, false, true)
            .await
            .unwrap();
        assert_eq!(st, FollowState::Requested);
    }
    let before = w.post(bob, Visibility::Private).await;
    s.add_list_members(l.id, &[(w.id(), bob), (w.id(), carol)])
        .await
        .unwrap();
    assert_eq!(set(&members(&w, l.id).await), set(&[bob, carol]));
    assert!(
        list_tl(&w, l.id).await.is_empty(),
        "nothing before acceptance"
    );
    let during = w.post(bob, Visibility::Private).await;
    assert!(
        list_tl(&w, l.id).await.is_empty(),
        "not fanned out while requested"
    );

    assert!(s.authorize_request(bob, alice).await.unwrap());
    assert_eq!(set(&list_tl(&w, l.id).await), set(&[before, during]));
    assert!(
        !w.home(alice).await.contains(&during),
        "an exclusive list keeps them out of home"
    );
    let after = w.post(bob, Visibility::Private).await;
    assert!(list_tl(&w, l.id).await.contains(&after));

    assert!(s.reject_request(carol, alice).await.unwrap());
    assert_eq!(members(&w, l.id).await, vec![bob]);
}
