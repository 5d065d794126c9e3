"""Drives a running roost with Mastodon.py, the reference Mastodon client library.

The Rust integration test `mastodon_py` starts roost on port 0 and runs this file with
ROOST_URL set to its base URL.
"""

import os
import uuid

import pytest
from mastodon import Mastodon, MastodonAPIError, MastodonNotFoundError

URL = os.environ.get("ROOST_URL")
pytestmark = pytest.mark.skipif(not URL, reason="ROOST_URL not set: run through `cargo test`")

SCOPES = ["read", "write", "follow", "push"]


def new_app():
    client_id, client_secret = Mastodon.create_app(
        "mastodon-py-test", api_base_url=URL, scopes=SCOPES, redirect_uris="urn:ietf:wg:oauth:2.0:oob"
    )
    return client_id, client_secret


def new_user(name):
    client_id, client_secret = new_app()
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=URL, version_check_mode="created")
    api.create_account(name, "correct horse battery", f"{name}@example.org", agreement=True, scopes=SCOPES)
    return api


@pytest.fixture(scope="module")
def users():
    tag = uuid.uuid4().hex[:6]
    return new_user(f"alice_{tag}"), new_user(f"bob_{tag}")


def test_version_detection():
    api = Mastodon(api_base_url=URL, version_check_mode="created")
    assert api.retrieve_mastodon_version() == "4.5.0"
    assert api.mastodon_api_version >= 2
    info = api.instance()
    assert info.configuration.statuses.max_characters >= 500


def test_password_login_and_revoke(users):
    alice, _ = users
    me = alice.account_verify_credentials()
    client_id, client_secret = new_app()
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=URL, version_check_mode="created")
    # Plain http is fine on loopback; Mastodon.py insists on https otherwise.
    token = api.log_in(username=f"{me.username}@example.org", password="correct horse battery", scopes=SCOPES, allow_http=True)
    assert token
    assert api.account_verify_credentials().id == me.id
    api.revoke_access_token(allow_http=True)
    fresh = Mastodon(access_token=token, api_base_url=URL, version_check_mode="none")
    with pytest.raises(MastodonAPIError):
        fresh.account_verify_credentials()


def test_social_flow(users):
    alice, bob = users
    a = alice.account_verify_credentials()
    b = bob.account_verify_credentials()

    rel = bob.account_follow(a.id)
    assert rel.following
    assert bob.account_relationships([a.id])[0].following

    key = "k-" + uuid.uuid4().hex
    post = alice.status_post("你好，世界 #小米 hello from roost", language="zh", idempotency_key=key)
    assert [t.name for t in post.tags] == ["小米"]
    assert "#<span>小米</span>" in post.content
    # Retrying with the same key gives the same status, not a second one.
    again = alice.status_post("你好，世界 #小米 hello from roost", language="zh", idempotency_key=key)
    assert again.id == post.id

    reply = bob.status_reply(post, "nice post!")
    assert reply.in_reply_to_id == post.id
    assert any(m.id == a.id for m in reply.mentions)

    quote = bob.status_post("quoting this one", quoted_status_id=post.id)
    assert quote.quote is not None
    assert quote.quote.state == "accepted"
    assert quote.quote.quoted_status.id == post.id

    reblog = bob.status_reblog(post.id)
    assert reblog.reblog.id == post.id
    fav = bob.status_favourite(post.id)
    assert fav.favourited
    assert fav.favourites_count == 1

    # Views: fetching the single status counts.
    seen = bob.status(post.id)
    assert seen.roost.views_total >= 1

    # Home timeline of bob holds alice's post (fan-out on write) and his own posts.
    home_ids = [s.id for s in bob.timeline_home(limit=40)]
    assert post.id in home_ids
    assert quote.id in home_ids

    # Walk the home timeline two by two with fetch_next.
    for i in range(5):
        alice.status_post(f"numbered post {i} #小米")
    page = bob.timeline_home(limit=2)
    walked = []
    while page:
        assert len(page) <= 2
        walked.extend(s.id for s in page)
        page = bob.fetch_next(page)
    assert len(walked) == len(set(walked))
    assert post.id in walked
    assert walked == sorted(walked, key=int, reverse=True)

    public_ids = [s.id for s in alice.timeline_public(limit=40)]
    assert post.id in public_ids
    tag_page = alice.timeline_hashtag("小米", limit=3)
    tag_walked = []
    while tag_page:
        tag_walked.extend(s.id for s in tag_page)
        tag_page = alice.fetch_next(tag_page)
    assert post.id in tag_walked
    assert len(tag_walked) == 6

    ctx = alice.status_context(post.id)
    assert [s.id for s in ctx.descendants] == [reply.id]
    ctx_reply = bob.status_context(reply.id)
    assert [s.id for s in ctx_reply.ancestors] == [post.id]

    kinds = {(n.type, n.account.id) for n in alice.notifications()}
    for kind in ["follow", "mention", "quote", "reblog", "favourite"]:
        assert (kind, b.id) in kinds, f"missing {kind} notification in {kinds}"
    only_mentions = alice.notifications(types=["mention"])
    assert only_mentions and all(n.type == "mention" for n in only_mentions)

    deleted = alice.status_delete(post.id)
    assert deleted.text.startswith("你好")
    with pytest.raises(MastodonNotFoundError):
        bob.status(post.id)
    assert post.id not in [s.id for s in bob.timeline_home(limit=40)]

    bob.account_unfollow(a.id)
    assert not bob.account_relationships([a.id])[0].following


def test_errors_are_mastodon_style(users):
    alice, _ = users
    with pytest.raises(MastodonNotFoundError):
        alice.status("999999999")
    with pytest.raises(MastodonAPIError) as err:
        alice.status_post("x" * 6000)
    assert "character limit" in str(err.value)


def test_grouped_notifications():
    tag = uuid.uuid4().hex[:6]
    alice, bob, carol = (new_user(f"{name}_{tag}") for name in ("gna", "gnb", "gnc"))
    a = alice.account_verify_credentials()
    b = bob.account_verify_credentials()
    c = carol.account_verify_credentials()
    post = alice.status_post("group these likes")
    bob.status_favourite(post.id)
    carol.status_favourite(post.id)
    mention = bob.status_post(f"@{a.username} hello")

    # Mastodon.py asks for partial_avatars by default: the newest account in full.
    res = alice.grouped_notifications()
    kinds = [g.type for g in res.notification_groups]
    assert kinds == ["mention", "favourite"], kinds
    fav = res.notification_groups[1]
    assert fav.notifications_count == 2
    assert str(fav.status_id) == str(post.id)
    assert [str(i) for i in fav.sample_account_ids] == [str(c.id), str(b.id)]
    assert fav.group_key.startswith(f"favourite-{post.id}-")
    assert [str(x.id) for x in res.accounts] == [str(b.id), str(c.id)]
    assert [str(x.id) for x in res.partial_accounts] == []
    assert str(post.id) in [str(s.id) for s in res.statuses]
    assert str(mention.id) == str(res.notification_groups[0].status_id)
    assert res.notification_groups[0].group_key.startswith("ungrouped-")

    # The plain list carries the same key.
    assert {n.group_key for n in alice.notifications(types=["favourite"])} == {fav.group_key}

    one = alice.grouped_notification(fav.group_key)
    assert one.notification_groups[0].notifications_count == 2
    who = alice.grouped_notification_accounts(fav.group_key)
    assert [str(x.id) for x in who] == [str(c.id), str(b.id)]
    assert alice.unread_grouped_notifications_count() == 2

    alice.dismiss_grouped_notification(fav.group_key)
    after = alice.grouped_notifications(expand_accounts="full")
    assert [g.type for g in after.notification_groups] == ["mention"]
    with pytest.raises(MastodonNotFoundError):
        alice.grouped_notification(fav.group_key)
