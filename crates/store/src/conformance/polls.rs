//! Behaviours of `PollStore`, `ScheduledStore` and `AccountExtrasStore`.

use super::*;

fn poll_of(options: &[&str], expires_at: Timestamp, multiple: bool) -> NewPoll {
    NewPoll {
        options: options.iter().map(|o| o.to_string()).collect(),
        expires_at,
        multiple,
        hide_totals: false,
    }
}

fn later(secs: i64) -> Timestamp {
    Timestamp::now() + jiff::SignedDuration::from_secs(secs)
}

async fn one_poll(s: &dyn Store, status: Id, viewer: Option<Id>) -> Poll {
    s.polls(&[status], viewer)
        .await
        .unwrap()
        .pop()
        .expect("a poll")
}

pub async fn polls_create_tally_and_own_votes(s: &dyn Store) {
    let w = W::new(s);
    let (a, b, c) = (
        w.account("a").await,
        w.account("b").await,
        w.account("c").await,
    );
    let draft = w.draft(a, Visibility::Public);
    let st = s
        .create_status_with_poll(&draft, &poll_of(&["x", "y", "z"], later(600), true))
        .await
        .unwrap();
    assert_eq!(st.id, draft.id);
    // Posted like any status: in the author's home timeline.
    assert!(w.home(a).await.contains(&st.id));
    let plain = w.post(a, Visibility::Public).await;

    let p = one_poll(s, st.id, None).await;
    assert_eq!(p.options, vec!["x", "y", "z"]);
    assert_eq!(p.votes, vec![0, 0, 0]);
    assert_eq!(p.voters_count, 0);
    assert!(p.multiple && !p.hide_totals);
    assert_eq!(p.own_votes, None, "no viewer, no own votes");
    assert!(!p.viewer_is_author);
    assert_eq!(one_poll(s, st.id, Some(b)).await.own_votes, Some(vec![]));
    // Statuses without polls are skipped.
    assert_eq!(s.polls(&[plain], Some(b)).await.unwrap(), vec![]);

    s.vote(st.id, b, &[0, 2], Timestamp::now()).await.unwrap();
    s.vote(st.id, c, &[2], Timestamp::now()).await.unwrap();
    // A second vote by the same account: nothing written.
    assert_conflict(s.vote(st.id, b, &[1], Timestamp::now()).await, "vote");
    assert_missing(s.vote(plain, b, &[0], Timestamp::now()).await, "poll");
    let p = one_poll(s, st.id, Some(b)).await;
    assert_eq!(p.votes, vec![1, 0, 2]);
    assert_eq!(p.votes_count(), 3);
    assert_eq!(p.voters_count, 2);
    assert_eq!(p.own_votes, Some(vec![0, 2]));
    assert_eq!(one_poll(s, st.id, Some(c)).await.own_votes, Some(vec![2]));

    // The bundle carries the polls with the viewer's votes.
    let bundle = s.status_bundle(&[st.id, plain], Some(c), 1).await.unwrap();
    assert_eq!(bundle.polls.len(), 1);
    assert_eq!(bundle.polls[0].own_votes, Some(vec![2]));

    // Deleting the status deletes its poll and votes.
    s.delete_status(st.id).await.unwrap();
    assert_eq!(s.polls(&[st.id], Some(b)).await.unwrap(), vec![]);
    assert_missing(s.vote(st.id, a, &[0], Timestamp::now()).await, "poll");
}

pub async fn polls_replace_keep_or_reset_votes(s: &dyn Store) {
    let w = W::new(s);
    let (a, b) = (w.account("a").await, w.account("b").await);
    let st = s
        .create_status_with_poll(
            &w.draft(a, Visibility::Public),
            &poll_of(&["x", "y"], later(600), false),
        )
        .await
        .unwrap();
    s.vote(st.id, b, &[1], Timestamp::now()).await.unwrap();
    // Kept votes: only the settings change.
    s.set_poll(st.id, Some(&poll_of(&["x", "y"], later(900), true)), true)
        .await
        .unwrap();
    let p = one_poll(s, st.id, Some(b)).await;
    assert_eq!(p.votes, vec![0, 1]);
    assert!(p.multiple);
    // Replaced: new options, no votes; the voter may vote again.
    s.set_poll(
        st.id,
        Some(&poll_of(&["x", "q", "r"], later(900), false)),
        false,
    )
    .await
    .unwrap();
    let p = one_poll(s, st.id, Some(b)).await;
    assert_eq!(p.options, vec!["x", "q", "r"]);
    assert_eq!(p.votes, vec![0, 0, 0]);
    assert_eq!(p.own_votes, Some(vec![]));
    s.vote(st.id, b, &[2], Timestamp::now()).await.unwrap();
    // Removed.
    s.set_poll(st.id, None, false).await.unwrap();
    assert_eq!(s.polls(&[st.id], None).await.unwrap(), vec![]);
    // Added to a status that had none.
    let plain = w.post(a, Visibility::Public).await;
    s.set_poll(plain, Some(&poll_of(&["m", "n"], later(600), false)), false)
        .await
        .unwrap();
    assert_eq!(one_poll(s, plain, None).await.options, vec!["m", "n"]);
    assert_missing(
        s.set_poll(
            w.id(),
            Some(&poll_of(&["m", "n"], later(600), false)),
            false,
        )
        .await,
        "status",
    );
}

pub async fn polls_end_is_announced_once(s: &dyn Store) {
    let w = W::new(s);
    let (a, b, c) = (
        w.account("a").await,
        w.account("b").await,
        w.account("c").await,
    );
    let past = Timestamp::now() - jiff::SignedDuration::from_secs(5);
    let ended = s
        .create_status_with_poll(
            &w.draft(a, Visibility::Public),
            &poll_of(&["x", "y"], past, true),
        )
        .await
        .unwrap();
    let running = s
        .create_status_with_poll(
            &w.draft(a, Visibility::Public),
            &poll_of(&["x", "y"], later(600), false),
        )
        .await
        .unwrap();
    s.vote(ended.id, b, &[0, 1], past).await.unwrap();
    s.vote(ended.id, c, &[1], past).await.unwrap();
    s.vote(running.id, b, &[0], Timestamp::now()).await.unwrap();

    let due = s.ended_polls(Timestamp::now(), 100).await.unwrap();
    let mine: Vec<&EndedPoll> = due.iter().filter(|p| p.status_id == ended.id).collect();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].author, a);
    assert_eq!(set(&mine[0].voters), set(&[b, c]));
    assert_eq!(mine[0].voters.len(), 2, "each voter once");
    assert!(!due.iter().any(|p| p.status_id == running.id));

    let notes = vec![
        w.notification(b, NotificationType::Poll, a, Some(ended.id)),
        w.notification(a, NotificationType::Poll, a, Some(ended.id)),
    ];
    assert!(s.finish_poll(ended.id, &notes).await.unwrap());
    // A second run writes nothing (not even fresh notifications).
    let again = vec![w.notification(c, NotificationType::Poll, a, Some(ended.id))];
    assert!(!s.finish_poll(ended.id, &again).await.unwrap());
    assert!(!s
        .ended_polls(Timestamp::now(), 100)
        .await
        .unwrap()
        .iter()
        .any(|p| p.status_id == ended.id));
    let filter = NotificationFilter::default();
    let nb = s.notifications(b, &filter, page(40)).await.unwrap();
    assert_eq!(nb.len(), 1);
    assert_eq!(nb[0].kind, NotificationType::Poll);
    assert_eq!(
        s.notifications(a, &filter, page(40)).await.unwrap().len(),
        1
    );
    assert!(s
        .notifications(c, &filter, page(40))
        .await
        .unwrap()
        .is_empty());
}

fn scheduled(w: &W<'_>, account: Id, at: Timestamp, with_poll: bool) -> ScheduledStatus {
    ScheduledStatus {
        id: w.id(),
        account_id: account,
        scheduled_at: at,
        text: format!("later {}", w.tag),
        visibility: Some(Visibility::Unlisted),
        spoiler_text: Some("cw".into()),
        sensitive: Some(true),
        language: Some("ms".into()),
        in_reply_to_id: None,
        quoted_status_id: None,
        poll: with_poll.then(|| ScheduledPoll {
            options: vec!["a".into(), "b\u{1f}c".into()],
            expires_in: 600,
            multiple: true,
            hide_totals: false,
        }),
        idempotency_key: Some("k".into()),
        created_at: Timestamp::from_millisecond(Timestamp::now().as_millisecond()).unwrap(),
    }
}

pub async fn scheduled_statuses_owner_paging_and_publish(s: &dyn Store) {
    let w = W::new(s);
    let (a, b) = (w.account("a").await, w.account("b").await);
    let ms = |t: Timestamp| Timestamp::from_millisecond(t.as_millisecond()).unwrap();
    let first = scheduled(&w, a, ms(later(3600)), true);
    let second = scheduled(&w, a, ms(later(7200)), false);
    s.schedule_status(&first).await.unwrap();
    s.schedule_status(&second).await.unwrap();
    let got = s.scheduled_status(a, first.id).await.unwrap().unwrap();
    // The separator never survives inside an option.
    assert_eq!(got.poll.as_ref().unwrap().options, vec!["a", "bc"]);
    assert_eq!(
        ScheduledStatus {
            poll: None,
            ..got.clone()
        },
        ScheduledStatus {
            poll: None,
            ..first.clone()
        }
    );
    assert_eq!(s.scheduled_status(b, first.id).await.unwrap(), None);
    let all = s.scheduled_statuses(a, page(40)).await.unwrap();
    assert_eq!(
        all.iter().map(|x| x.id).collect::<Vec<_>>(),
        vec![second.id, first.id]
    );
    let one = s.scheduled_statuses(a, page(1)).await.unwrap();
    assert_eq!(one[0].id, second.id);
    let older = s
        .scheduled_statuses(
            a,
            Page {
                max_id: Some(second.id),
                ..page(10)
            },
        )
        .await
        .unwrap();
    assert_eq!(older.len(), 1);
    assert!(s.scheduled_statuses(b, page(40)).await.unwrap().is_empty());

    // Only the owner reschedules or deletes.
    assert!(!s.reschedule(b, first.id, later(60)).await.unwrap());
    assert!(!s.unschedule(b, first.id).await.unwrap());
    let past = ms(Timestamp::now() - jiff::SignedDuration::from_secs(1));
    assert!(s.reschedule(a, first.id, past).await.unwrap());
    let due = s.due_scheduled(Timestamp::now(), 100).await.unwrap();
    assert_eq!(due.iter().map(|x| x.id).collect::<Vec<_>>(), vec![first.id]);

    // Publishing consumes it once, in the same write as the status and its poll.
    let draft = w.draft(a, Visibility::Unlisted);
    let poll = poll_of(&["a", "bc"], later(600), true);
    let st = s
        .publish_scheduled(first.id, &draft, Some(&poll))
        .await
        .unwrap()
        .expect("published");
    assert_eq!(st.id, draft.id);
    assert_eq!(one_poll(s, st.id, None).await.options, vec!["a", "bc"]);
    let again = w.draft(a, Visibility::Unlisted);
    assert_eq!(
        s.publish_scheduled(first.id, &again, None).await.unwrap(),
        None
    );
    assert!(
        s.status(again.id).await.unwrap().is_none(),
        "nothing written"
    );
    assert!(s.scheduled_status(a, first.id).await.unwrap().is_none());
    assert!(s
        .due_scheduled(Timestamp::now(), 100)
        .await
        .unwrap()
        .is_empty());

    assert!(s.unschedule(a, second.id).await.unwrap());
    assert!(!s.unschedule(a, second.id).await.unwrap());
}

pub async fn extras_defaults_notes_and_endorsements(s: &dyn Store) {
    let w = W::new(s);
    let (a, b, c) = (
        w.account("a").await,
        w.account("b").await,
        w.account("c").await,
    );
    assert_eq!(
        s.posting_defaults(a).await.unwrap(),
        PostingDefaults::default()
    );
    let d = PostingDefaults {
        visibility: Visibility::Private,
        sensitive: true,
        language: Some("id".into()),
    };
    s.set_posting_defaults(a, &d).await.unwrap();
    assert_eq!(s.posting_defaults(a).await.unwrap(), d);
    assert_eq!(
        s.posting_defaults(b).await.unwrap(),
        PostingDefaults::default()
    );
    let d2 = PostingDefaults {
        language: None,
        ..d.clone()
    };
    s.set_posting_defaults(a, &d2).await.unwrap();
    assert_eq!(s.posting_defaults(a).await.unwrap(), d2);

    s.set_note(a, b, "first").await.unwrap();
    s.set_note(a, b, "second").await.unwrap();
    s.set_note(b, a, "theirs").await.unwrap();
    assert_eq!(
        s.notes(a, &[b, c]).await.unwrap(),
        vec![(b, "second".to_string())]
    );
    s.set_note(a, b, "").await.unwrap();
    assert!(s.notes(a, &[b]).await.unwrap().is_empty());
    assert_eq!(s.notes(b, &[a]).await.unwrap().len(), 1);

    assert!(s.endorse(w.id(), a, b).await.unwrap());
    assert!(!s.endorse(w.id(), a, b).await.unwrap());
    assert!(s.endorse(w.id(), a, c).await.unwrap());
    assert_eq!(
        set(&s.endorsed_among(a, &[b, c]).await.unwrap()),
        set(&[b, c])
    );
    assert!(s.endorsed_among(b, &[a, c]).await.unwrap().is_empty());
    let list = s.endorsements(a, page(40)).await.unwrap();
    assert_eq!(ids_of(&list), vec![c, b], "newest first");
    assert_eq!(ids_of(&s.endorsements(a, page(1)).await.unwrap()), vec![c]);
    assert!(s.unendorse(a, b).await.unwrap());
    assert!(!s.unendorse(a, b).await.unwrap());
    assert_eq!(ids_of(&s.endorsements(a, page(40)).await.unwrap()), vec![c]);
}

pub async fn extras_featured_tags_and_suggestions(s: &dyn Store) {
    let w = W::new(s);
    let (a, b) = (w.account("a").await, w.account("b").await);
    let tagged = |author: Id, tags: &[&str], v: Visibility| {
        let mut d = w.draft(author, v);
        d.tags = tags.iter().map(|t| t.to_string()).collect();
        d
    };
    w.create(tagged(a, &["rust", "tea"], Visibility::Public))
        .await;
    w.create(tagged(a, &["rust"], Visibility::Public)).await;
    // Private posts and other authors' posts do not count.
    w.create(tagged(a, &["rust"], Visibility::Private)).await;
    w.create(tagged(b, &["rust"], Visibility::Public)).await;

    assert_eq!(s.tag_suggestions(a, 10).await.unwrap(), vec!["rust", "tea"]);
    let t = s
        .feature_tag(w.id(), a, "rust", Timestamp::now())
        .await
        .unwrap();
    assert_eq!(t.name, "rust");
    assert_eq!(t.statuses_count, 2);
    assert!(t.last_status_at.is_some());
    assert_conflict(
        s.feature_tag(w.id(), a, "rust", Timestamp::now()).await,
        "featured_tag",
    );
    let none = s
        .feature_tag(w.id(), a, "unused", Timestamp::now())
        .await
        .unwrap();
    assert_eq!(none.statuses_count, 0);
    assert_eq!(none.last_status_at, None);
    assert_eq!(
        s.featured_tags(a)
            .await
            .unwrap()
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>(),
        vec!["rust", "unused"]
    );
    assert_eq!(s.tag_suggestions(a, 10).await.unwrap(), vec!["tea"]);
    assert!(s.featured_tags(b).await.unwrap().is_empty());
    assert!(!s.unfeature_tag(b, t.id).await.unwrap());
    assert!(s.unfeature_tag(a, t.id).await.unwrap());
    assert!(!s.unfeature_tag(a, t.id).await.unwrap());
    assert_eq!(s.featured_tags(a).await.unwrap().len(), 1);
}

pub async fn extras_familiar_followers_directory_and_activity(s: &dyn Store) {
    let w = W::new(s);
    let region = w.region();
    let (a, b, c, d) = (
        w.account("a").await,
        w.account("b").await,
        w.account("c").await,
        w.account("d").await,
    );
    w.follow(a, b).await;
    w.follow(a, c).await;
    w.follow(b, d).await;
    w.follow(c, d).await;
    s.follow(w.id(), a, d, FollowState::Requested, false, true)
        .await
        .unwrap();
    assert_eq!(
        set(&s.familiar_followers(a, d, 40).await.unwrap()),
        set(&[b, c])
    );
    assert_eq!(s.familiar_followers(a, d, 1).await.unwrap().len(), 1);
    assert!(s.familiar_followers(d, a, 40).await.unwrap().is_empty());

    // The directory: discoverable and not suspended only; by activity or age.
    for x in [a, b, c] {
        s.update_profile(
            x,
            &ProfileUpdate {
                discoverable: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    s.set_account_flag(c, AccountFlag::Suspended, Some(Timestamp::now()))
        .await
        .unwrap();
    w.post(a, Visibility::Public).await;
    let dir = s.directory(0, 40, true, Some(&region)).await.unwrap();
    assert_eq!(dir, vec![a, b]);
    let new = s.directory(0, 40, false, Some(&region)).await.unwrap();
    assert_eq!(new, vec![b, a]);
    assert_eq!(
        s.directory(1, 1, false, Some(&region)).await.unwrap(),
        vec![a]
    );
    assert!(s
        .directory(0, 40, true, Some("nowhere"))
        .await
        .unwrap()
        .is_empty());

    // Weekly activity: posts by local users, sign-ins, sign-ups in each window.
    let now = Timestamp::now();
    let week = jiff::SignedDuration::from_hours(24 * 7);
    let before = s
        .weekly_activity(&[(now - week, now + week), (now - week * 3, now - week * 2)])
        .await
        .unwrap();
    assert_eq!(before.len(), 2);
    assert!(before[0].0 >= 1 && before[0].2 >= 4, "{before:?}");
    assert_eq!(before[1], (0, 0, 0));
    w.post(b, Visibility::Public).await;
    let after = s
        .weekly_activity(&[(now - week, now + week)])
        .await
        .unwrap();
    assert_eq!(after[0].0, before[0].0 + 1);
}

pub async fn extras_profile_fields_round_trip(s: &dyn Store) {
    let w = W::new(s);
    let a = w.account("a").await;
    let fields = vec![
        ProfileField {
            name: "Site".into(),
            value_source: "https://example.org".into(),
            value_html: "<a href=\"https://example.org\">example.org</a>".into(),
        },
        // The separators a store may use never survive inside a value.
        ProfileField {
            name: "odd\u{1e}name".into(),
            value_source: "a\u{1f}b".into(),
            value_html: "ab".into(),
        },
    ];
    let back = s.set_profile_fields(a, &fields).await.unwrap();
    assert_eq!(back.fields.len(), 2);
    assert_eq!(back.fields[0], fields[0]);
    assert_eq!(back.fields[1].name, "oddname");
    assert_eq!(back.fields[1].value_source, "ab");
    // Every read carries them (the row cache too).
    assert_eq!(w.acct(a).await.fields, back.fields);
    assert_eq!(s.accounts(&[a]).await.unwrap()[0].fields, back.fields);
    let cleared = s.set_profile_fields(a, &[]).await.unwrap();
    assert!(cleared.fields.is_empty());
    assert!(w.acct(a).await.fields.is_empty());
    assert_missing(s.set_profile_fields(w.id(), &fields).await, "account");
}

pub async fn quotes_quoters_and_rebloggers(s: &dyn Store) {
    let w = W::new(s);
    let (a, b, c, d) = (
        w.account("a").await,
        w.account("b").await,
        w.account("c").await,
        w.account("d").await,
    );
    let orig = w.post(a, Visibility::Public).await;
    let q1 = w.quote(b, orig).await;
    let mut private = w.draft(c, Visibility::Private);
    private.quote_of_id = Some(orig);
    let q2 = w.create(private).await;
    let q3 = w.quote(b, orig).await;
    w.reblog(d, orig).await;
    w.reblog(b, orig).await;
    // Visibility applies; newest first; paged.
    assert_eq!(
        s.quotes_of(orig, Some(d), page(40)).await.unwrap(),
        vec![q3, q1]
    );
    assert_eq!(
        s.quotes_of(orig, None, page(40)).await.unwrap(),
        vec![q3, q1]
    );
    assert_eq!(
        s.quotes_of(orig, Some(c), page(40)).await.unwrap(),
        vec![q3, q2, q1]
    );
    assert_eq!(s.quotes_of(orig, Some(c), page(1)).await.unwrap(), vec![q3]);
    let older = Page {
        max_id: Some(q2),
        ..page(10)
    };
    assert_eq!(s.quotes_of(orig, Some(c), older).await.unwrap(), vec![q1]);
    assert!(s.quotes_of(q1, Some(c), page(10)).await.unwrap().is_empty());
    // Each account once.
    assert_eq!(set(&s.quoters(orig).await.unwrap()), set(&[b, c]));
    assert_eq!(s.quoters(orig).await.unwrap().len(), 2);
    assert_eq!(set(&s.rebloggers(orig).await.unwrap()), set(&[b, d]));
    assert!(s.rebloggers(q1).await.unwrap().is_empty());
}

pub async fn announcements_reads_and_reactions(s: &dyn Store) {
    let w = W::new(s);
    let (a, b) = (w.account("a").await, w.account("b").await);
    let at = |secs: i64| {
        Timestamp::from_millisecond(Timestamp::now().as_millisecond() + secs * 1000).unwrap()
    };
    let make = |ends_at: Option<Timestamp>| Announcement {
        id: w.id(),
        text: "hello".into(),
        content_html: "<p>hello</p>".into(),
        starts_at: None,
        ends_at,
        all_day: false,
        published_at: at(0),
        updated_at: at(0),
        read: false,
        reactions: Vec::new(),
    };
    let first = make(Some(at(3600)));
    let second = make(None);
    let past = make(Some(at(-5)));
    for x in [&first, &second, &past] {
        s.create_announcement(x).await.unwrap();
    }
    let mine: Vec<Id> = s
        .announcements(a, Timestamp::now())
        .await
        .unwrap()
        .iter()
        .map(|x| x.id)
        .filter(|id| [first.id, second.id, past.id].contains(id))
        .collect();
    assert_eq!(
        mine,
        vec![second.id, first.id],
        "newest first, the expired one gone"
    );
    let got = |list: Vec<Announcement>, id: Id| list.into_iter().find(|x| x.id == id).unwrap();
    assert_eq!(
        got(
            s.announcements(a, Timestamp::now()).await.unwrap(),
            first.id
        ),
        first
    );

    assert!(s.dismiss_announcement(first.id, a).await.unwrap());
    assert!(
        s.dismiss_announcement(first.id, a).await.unwrap(),
        "again: no error"
    );
    assert!(
        got(
            s.announcements(a, Timestamp::now()).await.unwrap(),
            first.id
        )
        .read
    );
    assert!(
        !got(
            s.announcements(b, Timestamp::now()).await.unwrap(),
            first.id
        )
        .read
    );

    assert!(s
        .react_to_announcement(first.id, a, "👍", true)
        .await
        .unwrap());
    assert!(s
        .react_to_announcement(first.id, b, "👍", true)
        .await
        .unwrap());
    assert!(s
        .react_to_announcement(first.id, b, "🎉", true)
        .await
        .unwrap());
    assert!(s
        .react_to_announcement(first.id, b, "🎉", true)
        .await
        .unwrap());
    let seen = got(
        s.announcements(a, Timestamp::now()).await.unwrap(),
        first.id,
    );
    assert_eq!(
        seen.reactions,
        vec![("👍".to_string(), 2, true), ("🎉".to_string(), 1, false)]
    );
    assert!(s
        .react_to_announcement(first.id, a, "👍", false)
        .await
        .unwrap());
    let seen = got(
        s.announcements(a, Timestamp::now()).await.unwrap(),
        first.id,
    );
    assert_eq!(seen.reactions[0], ("👍".to_string(), 1, false));

    assert!(s
        .end_announcement(first.id, Timestamp::now())
        .await
        .unwrap());
    assert!(!s
        .end_announcement(first.id, Timestamp::now())
        .await
        .unwrap());
    assert!(!s
        .announcements(a, Timestamp::now())
        .await
        .unwrap()
        .iter()
        .any(|x| x.id == first.id));
    assert!(!s.dismiss_announcement(first.id, b).await.unwrap());
    assert!(!s
        .react_to_announcement(first.id, b, "👍", true)
        .await
        .unwrap());
    assert!(!s.dismiss_announcement(w.id(), b).await.unwrap());
}

pub async fn polls_home_tally_replaces_local_counts(s: &dyn Store) {
    let w = W::new(s);
    let (a, b) = (w.account("a").await, w.account("b").await);
    let st = s
        .create_status_with_poll(
            &w.draft(a, Visibility::Public),
            &poll_of(&["x", "y", "z"], later(600), false),
        )
        .await
        .unwrap();
    s.vote(st.id, b, &[2], Timestamp::now()).await.unwrap();
    assert!(s.set_poll_tally(st.id, &[4, 5, 6], 15).await.unwrap());
    let p = one_poll(s, st.id, Some(b)).await;
    assert_eq!(p.votes, vec![4, 5, 6], "the home's counts win");
    assert_eq!(p.voters_count, 15);
    assert_eq!(p.own_votes, Some(vec![2]), "own votes stay the viewer's");
    // Kept through a settings change; replaced options start without a tally.
    s.set_poll(
        st.id,
        Some(&poll_of(&["x", "y", "z"], later(900), false)),
        true,
    )
    .await
    .unwrap();
    assert_eq!(one_poll(s, st.id, None).await.votes, vec![4, 5, 6]);
    s.set_poll(st.id, Some(&poll_of(&["p", "q"], later(900), false)), false)
        .await
        .unwrap();
    assert_eq!(one_poll(s, st.id, None).await.votes, vec![0, 0]);
    let plain = w.post(a, Visibility::Public).await;
    assert!(!s.set_poll_tally(plain, &[1], 1).await.unwrap());
}

pub async fn polls_carried_votes_add_to_the_votes_cast_here(s: &dyn Store) {
    let w = W::new(s);
    let (a, b, c) = (
        w.account("a").await,
        w.account("b").await,
        w.account("c").await,
    );
    let st = s
        .create_status_with_poll(
            &w.draft(a, Visibility::Public),
            &poll_of(&["x", "y"], later(600), true),
        )
        .await
        .unwrap();
    assert!(s.carry_poll_votes(st.id, &[3, 1], 4).await.unwrap());
    let p = one_poll(s, st.id, Some(b)).await;
    assert_eq!(p.votes, vec![3, 1], "the old home's counts");
    assert_eq!(p.voters_count, 4);
    assert_eq!(p.own_votes, Some(vec![]), "nobody here voted");
    s.vote(st.id, b, &[0, 1], Timestamp::now()).await.unwrap();
    s.vote(st.id, c, &[1], Timestamp::now()).await.unwrap();
    let p = one_poll(s, st.id, Some(b)).await;
    assert_eq!(p.votes, vec![4, 3], "votes here add to them");
    assert_eq!(p.voters_count, 6);
    assert_eq!(p.own_votes, Some(vec![0, 1]));
    // New options start from nothing.
    s.set_poll(st.id, Some(&poll_of(&["p", "q"], later(900), true)), false)
        .await
        .unwrap();
    let p = one_poll(s, st.id, None).await;
    assert_eq!((p.votes, p.voters_count), (vec![0, 0], 0));
    let plain = w.post(a, Visibility::Public).await;
    assert!(!s.carry_poll_votes(plain, &[1], 1).await.unwrap());
}
