//! Conformance: the audit's scan of a store's real tables for foreign data
//! ([`ForeignInventory`]), for stores that offer it (both do). Each store's test file
//! calls these with a fresh store.

use crate::ForeignInventory;
use roost_core::model::NewPoll;
use roost_core::model::{
    Account, App, AuthCode, FollowState, ForeignRecord, NewAccount, NewStatus, Page, Token, User,
    Visibility,
};
use roost_core::store::Store;
use roost_core::IdGen;
use roost_residency::audit::ForeignItem;
use roost_residency::DataClass;

fn account(g: &IdGen, name: &str) -> NewAccount {
    NewAccount {
        id: g.next().unwrap(),
        username: name.into(),
        home_region: "in".into(),
        display_name: name.into(),
        created_at: jiff::Timestamp::now(),
    }
}

fn status(g: &IdGen, author: roost_core::Id) -> NewStatus {
    NewStatus {
        id: g.next().unwrap(),
        account_id: author,
        text: "hello".into(),
        content_html: "<p>hello</p>".into(),
        spoiler_text: String::new(),
        visibility: Visibility::Public,
        sensitive: false,
        language: None,
        in_reply_to_id: None,
        in_reply_to_account_id: None,
        reblog_of_id: None,
        quote_of_id: None,
        created_at: jiff::Timestamp::now(),
        mentions: vec![],
        tags: vec![],
        idempotency_key: None,
    }
}

fn remote(g: &IdGen, name: &str, region: &str, display_name: &str) -> Account {
    Account {
        id: g.next().unwrap(),
        username: name.into(),
        home_region: region.into(),
        display_name: display_name.into(),
        note_source: String::new(),
        note_html: String::new(),
        locked: false,
        bot: false,
        discoverable: true,
        created_at: jiff::Timestamp::now(),
        followers_count: 0,
        following_count: 0,
        statuses_count: 0,
        last_status_at: None,
        suspended: false,
        silenced: false,
        moving: false,
        fields: Vec::new(),
        avatar: None,
        header: None,
    }
}

/// The audit's scan reads the real tables, whatever `foreign_items` claims.
pub async fn inventory_scan_finds_foreign_rows<S: Store + ForeignInventory>(store: &S) {
    let g = IdGen::new(1);
    let na = account(&g, "alice");
    let alice_user = User {
        account_id: na.id,
        email: "alice@example.com".into(),
        password_hash: "$argon2id$alice-secret".into(),
        locale: "en".into(),
        created_at: na.created_at,
        sign_up_ip: None,
    };
    let alice = store
        .create_account(&na, Some(&alice_user))
        .await
        .unwrap()
        .id;
    let empty = store.foreign_inventory("in").await.unwrap();
    assert!(empty.items.is_empty() && empty.identity_abroad.is_empty());

    // A profile is content; an account with none is only an address.
    let budi = remote(&g, "budi", "id", "Budi");
    store.upsert_remote_account(&budi).await.unwrap();
    let chandra = remote(&g, "chandra", "sg", "");
    store.upsert_remote_account(&chandra).await.unwrap();
    let (budi, chandra) = (budi.id, chandra.id);

    let mine = store.create_status(&status(&g, alice)).await.unwrap().id;
    let public = store.create_status(&status(&g, budi)).await.unwrap().id;
    let private = store
        .create_status(&NewStatus {
            visibility: Visibility::Private,
            ..status(&g, budi)
        })
        .await
        .unwrap()
        .id;
    let reblog = store
        .create_status(&NewStatus {
            reblog_of_id: Some(mine),
            ..status(&g, budi)
        })
        .await
        .unwrap()
        .id;
    store
        .follow(
            g.next().unwrap(),
            budi,
            alice,
            FollowState::Accepted,
            false,
            true,
        )
        .await
        .unwrap();
    store
        .follow(
            g.next().unwrap(),
            chandra,
            alice,
            FollowState::Requested,
            false,
            true,
        )
        .await
        .unwrap();
    store
        .follow(
            g.next().unwrap(),
            alice,
            budi,
            FollowState::Accepted,
            false,
            true,
        )
        .await
        .unwrap();
    store
        .favourite(g.next().unwrap(), budi, mine, None)
        .await
        .unwrap();
    store
        .favourite(g.next().unwrap(), alice, public, None)
        .await
        .unwrap();
    // A claim with no row behind it is not found by the scan.
    store
        .record_foreign(&ForeignRecord {
            object: "status:999".into(),
            home_region: "id".into(),
            class: DataClass::PublicContent,
            subject: Some(budi),
            stored_at: jiff::Timestamp::now(),
            expires_at: None,
        })
        .await
        .unwrap();

    // Identity rows of a foreign account: each one a violation.
    let dewi_na = NewAccount {
        home_region: "id".into(),
        ..account(&g, "dewi")
    };
    let dewi_user = User {
        account_id: dewi_na.id,
        email: "dewi@example.com".into(),
        password_hash: "$argon2id$dewi-secret".into(),
        locale: "id".into(),
        created_at: dewi_na.created_at,
        sign_up_ip: Some("192.0.2.7".into()),
    };
    let dewi = store
        .create_account(&dewi_na, Some(&dewi_user))
        .await
        .unwrap()
        .id;
    let app = App {
        id: g.next().unwrap(),
        name: "client".into(),
        website: None,
        redirect_uris: vec!["urn:ietf:wg:oauth:2.0:oob".into()],
        scopes: "read".into(),
        client_id: "client-id".into(),
        client_secret: "client-secret".into(),
        created_at: jiff::Timestamp::now(),
    };
    store.create_app(&app).await.unwrap();
    let token = Token {
        id: g.next().unwrap(),
        app_id: app.id,
        account_id: Some(budi),
        scopes: "read".into(),
        access_hash: "budi-access-hash".into(),
        refresh_hash: None,
        created_at: jiff::Timestamp::now(),
        revoked: false,
        pending: false,
    };
    store.create_token(&token).await.unwrap();
    store
        .create_token(&Token {
            id: g.next().unwrap(),
            account_id: Some(alice),
            access_hash: "alice-access-hash".into(),
            ..token.clone()
        })
        .await
        .unwrap();
    store
        .create_auth_code(&AuthCode {
            code_hash: "budi-code-hash".into(),
            app_id: app.id,
            account_id: budi,
            redirect_uri: "urn:ietf:wg:oauth:2.0:oob".into(),
            scopes: "read".into(),
            code_challenge: None,
            code_challenge_method: None,
            expires_at: jiff::Timestamp::now() + jiff::SignedDuration::from_secs(600),
        })
        .await
        .unwrap();

    let inv = store.foreign_inventory("in").await.unwrap();
    let item = |home: &str, class, subject: roost_core::Id, object: String| ForeignItem {
        holder: "in".into(),
        home: home.into(),
        class,
        subject: Some(subject.to_string()),
        object,
    };
    let mut expected = vec![
        item(
            "id",
            DataClass::PublicContent,
            budi,
            format!("account:{budi}"),
        ),
        item(
            "id",
            DataClass::PublicContent,
            dewi,
            format!("account:{dewi}"),
        ),
        item(
            "id",
            DataClass::PublicContent,
            budi,
            format!("status:{public}"),
        ),
        item(
            "id",
            DataClass::PrivateContent,
            budi,
            format!("status:{private}"),
        ),
        item(
            "id",
            DataClass::Engagement,
            budi,
            format!("status:{reblog}"),
        ),
        item(
            "id",
            DataClass::SocialGraph,
            budi,
            format!("follow:{budi}:{alice}"),
        ),
        item(
            "sg",
            DataClass::SocialGraph,
            chandra,
            format!("follow:{chandra}:{alice}"),
        ),
        item(
            "id",
            DataClass::Engagement,
            budi,
            format!("favourite:{budi}:{mine}"),
        ),
    ];
    let mut got = inv.items.clone();
    expected.sort_by(|a, b| a.object.cmp(&b.object));
    got.sort_by(|a, b| a.object.cmp(&b.object));
    assert_eq!(got, expected);

    assert_eq!(inv.identity_abroad.len(), 3, "{:?}", inv.identity_abroad);
    let text = inv.identity_abroad.join("\n");
    assert!(text.contains(&format!("account {dewi} from id")), "{text}");
    assert!(
        text.contains(&format!("token {} of account {budi} from id", token.id)),
        "{text}"
    );
    assert!(
        text.contains(&format!("code of account {budi} from id")),
        "{text}"
    );
    for secret in [
        "dewi@example.com",
        "dewi-secret",
        "budi-access-hash",
        "budi-code-hash",
    ] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }

    // The new kinds: a foreign voter's vote is engagement; a foreign owner's private
    // data (none can arrive: nothing sends it) is flagged like identity.
    let poll_status = store
        .create_status_with_poll(
            &status(&g, alice),
            &NewPoll {
                options: vec!["a".into(), "b".into()],
                expires_at: jiff::Timestamp::now() + jiff::SignedDuration::from_secs(600),
                multiple: false,
                hide_totals: false,
            },
        )
        .await
        .unwrap()
        .id;
    store
        .vote(poll_status, budi, &[1], jiff::Timestamp::now())
        .await
        .unwrap();
    store.set_note(budi, alice, "planted").await.unwrap();
    let inv = store.foreign_inventory("in").await.unwrap();
    assert!(inv
        .items
        .iter()
        .any(|i| i.object == format!("vote:{budi}:{poll_status}")
            && i.class == DataClass::Engagement
            && i.home == "id"));
    assert!(
        inv.identity_abroad
            .iter()
            .any(|l| l == &format!("private note of account {budi} from id")),
        "{:?}",
        inv.identity_abroad
    );

    // Seen from `id`, the same rows are local; alice's are the foreign ones.
    let from_id = store.foreign_inventory("id").await.unwrap();
    assert!(from_id.items.iter().all(|i| i.home != "id"));
    assert!(from_id
        .items
        .iter()
        .any(|i| i.object == format!("favourite:{alice}:{public}") && i.home == "in"));
}

/// Lists, filters and followed tags are their owner's private data: one owned by an
/// account of another region is flagged like identity abroad (the use cases only ever
/// write them for local users; a direct status opens conversations for local users only).
pub async fn inventory_flags_private_organising_rows_of_foreign_owners<
    S: Store + ForeignInventory,
>(
    store: &S,
) {
    use roost_core::model::{Filter, FilterAction, FilterContext, List, RepliesPolicy};
    let g = IdGen::new(1);
    let na = account(&g, "alice");
    let user = User {
        account_id: na.id,
        email: "alice@example.com".into(),
        password_hash: "$argon2id$alice".into(),
        locale: "en".into(),
        created_at: na.created_at,
        sign_up_ip: None,
    };
    let alice = store.create_account(&na, Some(&user)).await.unwrap().id;
    let budi = remote(&g, "budi", "id", "");
    store.upsert_remote_account(&budi).await.unwrap();
    let list = |owner| List {
        id: g.next().unwrap(),
        account_id: owner,
        title: "l".into(),
        replies_policy: RepliesPolicy::List,
        exclusive: false,
        created_at: jiff::Timestamp::now(),
    };
    let filter = |owner| Filter {
        id: g.next().unwrap(),
        account_id: owner,
        title: "f".into(),
        context: vec![FilterContext::Home],
        action: FilterAction::Warn,
        expires_at: None,
        created_at: jiff::Timestamp::now(),
        keywords: Vec::new(),
        statuses: Vec::new(),
    };
    // Alice's own: nothing to flag.
    store.create_list(&list(alice)).await.unwrap();
    store.save_filter(&filter(alice)).await.unwrap();
    store
        .follow_tag(g.next().unwrap(), alice, "rust")
        .await
        .unwrap();
    let mut dm = status(&g, alice);
    dm.visibility = Visibility::Direct;
    dm.mentions = vec![budi.id];
    store.create_status(&dm).await.unwrap();
    assert!(store
        .conversations(budi.id, Page::default())
        .await
        .unwrap()
        .is_empty());
    let inv = store.foreign_inventory("in").await.unwrap();
    assert!(inv.identity_abroad.is_empty(), "{:?}", inv.identity_abroad);

    // Rows about a foreign owner, written past the use cases: each one is flagged.
    store.create_list(&list(budi.id)).await.unwrap();
    store.save_filter(&filter(budi.id)).await.unwrap();
    store
        .follow_tag(g.next().unwrap(), budi.id, "rust")
        .await
        .unwrap();
    let inv = store.foreign_inventory("in").await.unwrap();
    let text = inv.identity_abroad.join("\n");
    assert_eq!(inv.identity_abroad.len(), 3, "{text}");
    for kind in ["list", "filter", "followed tag"] {
        assert!(text.contains(&format!("{kind} ")), "{kind} in {text}");
    }
    assert!(
        text.contains(&format!("of account {} from id", budi.id)),
        "{text}"
    );
}
