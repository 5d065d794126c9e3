"""Two regions driven by Mastodon.py: users of each follow, post, reply, quote and see each
other's posts through their own home region.

The Rust integration test `mastodon_py_two_regions` starts a cluster and runs this file
with ROOST_URL_A / ROOST_URL_B (base URLs) and ROOST_DOMAIN_A / ROOST_DOMAIN_B set.
"""

import os
import queue
import time
import uuid

import pytest
from mastodon import Mastodon, MastodonAPIError, StreamListener

A, B = os.environ.get("ROOST_URL_A"), os.environ.get("ROOST_URL_B")
DA, DB = os.environ.get("ROOST_DOMAIN_A"), os.environ.get("ROOST_DOMAIN_B")
pytestmark = pytest.mark.skipif(not (A and B), reason="run through `cargo test`")
SCOPES = ["read", "write", "follow", "push"]


def new_user(url, name):
    cid, secret = Mastodon.create_app("mpy-regions", api_base_url=url, scopes=SCOPES)
    api = Mastodon(client_id=cid, client_secret=secret, api_base_url=url, version_check_mode="created")
    api.create_account(name, "correct horse battery", f"{name}@example.org", agreement=True, scopes=SCOPES)
    return api


def wait_for(what, fn, secs=15):
    until = time.time() + secs
    while time.time() < until:
        v = fn()
        if v:
            return v
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_two_regions_follow_post_reply_quote():
    tag = uuid.uuid4().hex[:6]
    asha = new_user(A, f"asha_{tag}")
    budi = new_user(B, f"budi_{tag}")

    # Each finds the other by handle through their own region, and follows.
    b_at_a = asha.account_lookup(f"budi_{tag}@{DB}")
    a_at_b = budi.account_lookup(f"asha_{tag}@{DA}")
    assert b_at_a["acct"] == f"budi_{tag}@{DB}"
    asha.account_follow(b_at_a)
    budi.account_follow(a_at_b)
    wait_for("asha follows budi", lambda: asha.account_relationships(b_at_a)[0]["following"])
    wait_for("budi follows asha", lambda: budi.account_relationships(a_at_b)[0]["following"])

    # Asha streams her home timeline from her region while Budi posts in his.
    class Updates(StreamListener):
        def __init__(self):
            self.q = queue.Queue()

        def on_update(self, status):
            self.q.put(status)

    updates = Updates()
    stream = asha.stream_user(updates, run_async=True)
    time.sleep(0.5)

    # Budi posts in his region; Asha sees it in her home timeline in hers, and live.
    post = budi.status_post("Halo dari Jakarta #roost 你好")
    try:
        live = updates.q.get(timeout=15)
    finally:
        stream.close()
    assert live["id"] == post["id"]
    assert live["account"]["acct"] == f"budi_{tag}@{DB}"
    seen = wait_for("budi's post at A", lambda: [s for s in asha.timeline_home() if s["id"] == post["id"]])
    assert "Jakarta" in seen[0]["content"]
    assert seen[0]["account"]["acct"] == f"budi_{tag}@{DB}"

    # Asha replies and quotes from her region; Budi sees both and is notified.
    reply = asha.status_post(f"@budi_{tag}@{DB} namaste!", in_reply_to_id=post["id"])
    quote = asha.status_post("Worth reading", quoted_status_id=post["id"])
    asha.status_favourite(post["id"])

    def budi_sees():
        home = [s["id"] for s in budi.timeline_home()]
        return reply["id"] in home and quote["id"] in home

    wait_for("asha's reply and quote at B", budi_sees)
    ctx = budi.status_context(post["id"])
    assert reply["id"] in [s["id"] for s in ctx["descendants"]]
    types = wait_for(
        "notifications at B",
        lambda: (lambda t: t if {"mention", "quote", "favourite", "follow"} <= t else None)(
            {n["type"] for n in budi.notifications()}
        ),
    )
    assert "favourite" in types
    assert budi.status(post["id"])["favourites_count"] == 1

    # An unknown handle of a known region is a clean 404.
    with pytest.raises(MastodonAPIError):
        asha.account_lookup(f"nobody_{tag}@{DB}")
