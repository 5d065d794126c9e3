"""Mastodon.py's blocks, mutes and domain blocks against a running roost.

The Rust integration test `mastodon_py_safety` starts roost on port 0 and runs this file
with ROOST_URL set to its base URL.
"""

import os
import time
import uuid

import pytest
from mastodon import Mastodon, MastodonAPIError

URL = os.environ.get("ROOST_URL")
pytestmark = pytest.mark.skipif(not URL, reason="ROOST_URL not set: run through `cargo test`")

SCOPES = ["read", "write", "follow"]


def new_user(name):
    client_id, client_secret = Mastodon.create_app(
        "mastodon-py-safety", api_base_url=URL, scopes=SCOPES, redirect_uris="urn:ietf:wg:oauth:2.0:oob"
    )
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=URL, version_check_mode="created")
    api.create_account(name, "correct horse battery", f"{name}@example.org", agreement=True, scopes=SCOPES)
    return api


def test_blocks_and_relationships():
    tag = uuid.uuid4().hex[:6]
    alice, bob = new_user(f"alice{tag}"), new_user(f"bob{tag}")
    me, him = alice.me(), bob.me()
    bob.account_follow(me.id)
    assert alice.account_relationships(him.id)[0].followed_by

    rel = alice.account_block(him.id)
    assert rel.blocking is True
    assert rel.followed_by is False
    assert [a.id for a in alice.blocks()] == [him.id]
    back = bob.account_relationships(me.id)[0]
    assert back.blocked_by is True and back.following is False
    with pytest.raises(MastodonAPIError) as e:
        bob.account_follow(me.id)
    assert e.value.args[1] == 403

    post = alice.status_post(f"only for friends {tag}")
    with pytest.raises(MastodonAPIError):
        bob.status_favourite(post.id)
    assert bob.account_statuses(me.id) == []

    rel = alice.account_unblock(him.id)
    assert rel.blocking is False
    assert alice.blocks() == []
    assert bob.account_relationships(me.id)[0].blocked_by is False


def test_mutes_and_domain_blocks():
    tag = uuid.uuid4().hex[:6]
    alice, mia = new_user(f"alice{tag}"), new_user(f"mia{tag}")
    her = mia.me()
    alice.account_follow(her.id)
    post = mia.status_post(f"hello {tag}")
    assert post.id in [s.id for s in alice.timeline_home()]

    rel = alice.account_mute(her.id, notifications=False)
    assert rel.muting is True and rel.muting_notifications is False and rel.following is True
    assert [a.id for a in alice.mutes()] == [her.id]
    assert post.id not in [s.id for s in alice.timeline_home()]
    rel = alice.account_mute(her.id, duration=1)
    assert rel.muting is True and rel.muting_notifications is True
    time.sleep(1.3)
    assert alice.account_relationships(her.id)[0].muting is False
    assert alice.mutes() == []
    assert post.id in [s.id for s in alice.timeline_home()]
    alice.account_mute(her.id)
    assert alice.account_unmute(her.id).muting is False

    assert alice.domain_blocks() == []
    alice.domain_block(f"{tag}.example.org")
    assert alice.domain_blocks() == [f"{tag}.example.org"]
    alice.domain_unblock(f"{tag}.example.org")
    assert alice.domain_blocks() == []
    assert alice.account_relationships(her.id)[0].domain_blocking is False

    muted = alice.status_mute(alice.status_post(f"thread {tag}").id)
    assert muted.muted is True
    assert alice.status_unmute(muted.id).muted is False
