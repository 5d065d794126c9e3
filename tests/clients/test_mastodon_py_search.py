"""Search, trends and suggestions through Mastodon.py: `search_v2`, `account_search`,
`trending_tags`, `suggestions`. Run by the Rust integration test `mastodon_py`."""

import os
import time
import uuid

import pytest
import requests
from mastodon import Mastodon

URL = os.environ.get("ROOST_URL")
pytestmark = pytest.mark.skipif(not URL, reason="ROOST_URL not set: run through `cargo test`")

SCOPES = ["read", "write", "follow", "push"]


def new_user(name):
    client_id, client_secret = Mastodon.create_app(
        "mastodon-py-search", api_base_url=URL, scopes=SCOPES, redirect_uris="urn:ietf:wg:oauth:2.0:oob"
    )
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=URL, version_check_mode="created")
    api.create_account(name, "correct horse battery", f"{name}@example.org", agreement=True, scopes=SCOPES)
    return api


def opt_in(api):
    r = requests.patch(
        URL + "/api/v1/accounts/update_credentials",
        headers={"Authorization": "Bearer " + api.access_token},
        data={"indexable": "1", "discoverable": "1"},
        timeout=10,
    )
    r.raise_for_status()
    assert r.json()["indexable"] is True


def eventually(check, what):
    for _ in range(100):
        got = check()
        if got:
            return got
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def test_search_v2_account_search_and_trends():
    tag = uuid.uuid4().hex[:6]
    alice, bob = new_user(f"alice_{tag}"), new_user(f"bob_{tag}")
    opt_in(alice)
    post = alice.status_post(f"小米发布了新的手机操作系统 #热搜{tag}")
    other = alice.status_post("今天喝了大米粥")

    found = eventually(lambda: bob.search_v2("手机操作系统", result_type="statuses").statuses, "the post to be found")
    assert [s.id for s in found] == [post.id]
    assert other.id not in [s.id for s in bob.search_v2("小米").statuses]

    by_name = bob.account_search(f"alice_{tag}")
    assert [a.id for a in by_name] == [alice.me().id]
    everything = bob.search_v2(f"alice_{tag}")
    assert [a.id for a in everything.accounts] == [alice.me().id]

    tags = bob.search_v2(f"#热搜{tag}", result_type="hashtags").hashtags
    assert tags[0].name == f"热搜{tag}"
    assert len(tags[0].history) == 7

    trending = bob.trending_tags()
    mine = [t for t in trending if t.name == f"热搜{tag}"]
    assert mine and int(mine[0].history[0].uses) == 1

    bob.account_follow(alice.me().id)
    suggestions = bob.suggestions()
    assert alice.me().id not in [s.id if "id" in s else s.account.id for s in suggestions]
