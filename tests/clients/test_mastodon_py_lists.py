"""Mastodon.py's lists, v2 (and v1) filters, conversations and followed tags against a
running roost.

The Rust integration test `mastodon_py_lists` starts roost on port 0 and runs this file
with ROOST_URL set to its base URL.
"""

import os
import time
import uuid

import pytest
from mastodon import Mastodon, MastodonAPIError, MastodonNotFoundError

URL = os.environ.get("ROOST_URL")
pytestmark = pytest.mark.skipif(not URL, reason="ROOST_URL not set: run through `cargo test`")

SCOPES = ["read", "write", "follow"]


def new_user(name):
    client_id, client_secret = Mastodon.create_app(
        "mastodon-py-lists", api_base_url=URL, scopes=SCOPES, redirect_uris="urn:ietf:wg:oauth:2.0:oob"
    )
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=URL, version_check_mode="created")
    api.create_account(name, "correct horse battery", f"{name}@example.org", agreement=True, scopes=SCOPES)
    return api


def test_lists_members_and_timeline():
    tag = uuid.uuid4().hex[:6]
    alice, bob, carol = new_user(f"alice{tag}"), new_user(f"bob{tag}"), new_user(f"carol{tag}")
    him = bob.me()
    lst = alice.list_create("Friends", replies_policy="followed", exclusive=True)
    assert lst.title == "Friends" and lst.replies_policy == "followed" and lst.exclusive is True
    assert [l.id for l in alice.lists()] == [lst.id]

    with pytest.raises(MastodonNotFoundError):
        alice.list_accounts_add(lst, [him.id])  # not followed yet
    alice.account_follow(him.id)
    alice.list_accounts_add(lst, [him.id])
    with pytest.raises(MastodonAPIError) as e:
        alice.list_accounts_add(lst, [him.id])
    assert e.value.args[1] == 422
    assert [a.id for a in alice.list_accounts(lst)] == [him.id]
    assert [l.id for l in alice.account_lists(him.id)] == [lst.id]

    post = bob.status_post(f"for the list {tag}")
    assert [s.id for s in alice.timeline_list(lst)] == [post.id]
    assert post.id not in [s.id for s in alice.timeline_home()], "exclusive: not at home"

    updated = alice.list_update(lst, "Pals", replies_policy="none", exclusive=False)
    assert updated.title == "Pals" and updated.exclusive is False
    assert alice.list(lst).title == "Pals"
    assert post.id in [s.id for s in alice.timeline_home()]

    # Someone else's list is not found.
    with pytest.raises(MastodonNotFoundError):
        carol.list(lst)
    with pytest.raises(MastodonNotFoundError):
        carol.timeline_list(lst)

    alice.list_accounts_delete(lst, [him.id])
    assert alice.list_accounts(lst) == []
    alice.list_delete(lst)
    assert alice.lists() == []


def test_filters_v2_and_v1():
    tag = uuid.uuid4().hex[:6]
    alice, bob = new_user(f"alice{tag}"), new_user(f"bob{tag}")
    alice.account_follow(bob.me().id)
    f = alice.create_filter_v2(
        "Dragons",
        ["home", "public"],
        "warn",
        keywords_attributes=[{"keyword": "dragon", "whole_word": True}, {"keyword": "手机", "whole_word": True}],
    )
    assert f.title == "Dragons" and f.filter_action == "warn"
    assert sorted(k.keyword for k in f.keywords) == ["dragon", "手机"]
    with pytest.raises(MastodonAPIError) as e:
        alice.create_filter_v2("bad", ["nowhere"], "warn")
    assert e.value.args[1] == 422

    hit = bob.status_post(f"a dragon {tag}")
    cjk = bob.status_post(f"我的新手机很好 {tag}")
    miss = bob.status_post(f"snapdragons {tag}")
    home = {s.id: s for s in alice.timeline_home()}
    assert home[hit.id].filtered[0].filter.title == "Dragons"
    assert home[hit.id].filtered[0].keyword_matches == ["dragon"]
    assert home[cjk.id].filtered[0].keyword_matches == ["手机"]
    assert home[miss.id].filtered == []

    # Keywords and statuses of a filter.
    kw = alice.add_filter_keyword_v2(f, "wyrm", whole_word=False)
    assert "wyrm" in [k.keyword for k in alice.filter_keywords_v2(f)]
    alice.delete_filter_keyword_v2(kw)
    fs = alice.add_filter_status_v2(f, miss.id)
    assert alice.filter_status_v2(fs).status_id == miss.id
    assert [x.id for x in alice.filter_statuses_v2(f)] == [fs.id]
    assert alice.status(miss.id).filtered[0].status_matches == [miss.id]
    alice.delete_filter_status_v2(fs)

    updated = alice.update_filter_v2(f, title="Beasts", filter_action="hide")
    assert updated.title == "Beasts" and updated.filter_action == "hide"
    assert [x.id for x in alice.filters_v2()] == [f.id]
    # v1 sees one filter per keyword.
    assert sorted(x.phrase for x in alice.filters()) == ["dragon", "手机"]
    v1 = alice.filter_create("spoiler", ["home"], irreversible=True)
    assert v1.phrase == "spoiler" and v1.irreversible is True
    alice.filter_delete(v1)
    with pytest.raises(MastodonNotFoundError):
        bob.filter_v2(f)
    alice.delete_filter_v2(f)
    assert alice.filters_v2() == []


def test_conversations_and_followed_tags():
    tag = uuid.uuid4().hex[:6]
    alice, bob = new_user(f"alice{tag}"), new_user(f"bob{tag}")
    me = alice.me()
    dm = bob.status_post(f"@{me.acct} hello {tag}", visibility="direct")
    convs = alice.conversations()
    assert len(convs) == 1
    assert convs[0].unread is True
    assert convs[0].last_status.id == dm.id
    assert [a.id for a in convs[0].accounts] == [bob.me().id]
    read = alice.conversations_read(convs[0])
    assert read.id == convs[0].id and read.unread is False

    name = f"tag{tag}"
    t = alice.tag_follow(name)
    assert t.name == name and t.following is True
    assert alice.tag(name).following is True
    assert [x.name for x in alice.followed_tags()] == [name]
    post = bob.status_post(f"about #{name}")
    assert post.id in [s.id for s in alice.timeline_home()]
    assert alice.tag_unfollow(name).following is False
    assert alice.followed_tags() == []
