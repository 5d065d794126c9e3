"""Mastodon.py's streaming (server-sent events) against a running roost.

The Rust integration test `mastodon_py_streams` starts roost on port 0 and runs this file
with ROOST_URL set to its base URL.
"""

import os
import queue
import time
import uuid

import pytest
from mastodon import Mastodon, StreamListener

URL = os.environ.get("ROOST_URL")
pytestmark = pytest.mark.skipif(not URL, reason="ROOST_URL not set: run through `cargo test`")

SCOPES = ["read", "write", "follow", "push"]


def new_user(name):
    client_id, client_secret = Mastodon.create_app(
        "mastodon-py-stream", api_base_url=URL, scopes=SCOPES, redirect_uris="urn:ietf:wg:oauth:2.0:oob"
    )
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=URL, version_check_mode="created")
    api.create_account(name, "correct horse battery", f"{name}@example.org", agreement=True, scopes=SCOPES)
    return api


class Collect(StreamListener):
    """Puts every event on a queue, heartbeats included."""

    def __init__(self):
        self.q = queue.Queue()

    def on_update(self, status):
        self.q.put(("update", status))

    def on_status_update(self, status):
        self.q.put(("status.update", status))

    def on_notification(self, notification):
        self.q.put(("notification", notification))

    def on_delete(self, status_id):
        self.q.put(("delete", status_id))

    def handle_heartbeat(self):
        self.q.put(("heartbeat", None))


def wait_for(listener, kind, matches=lambda _: True, timeout=10):
    """The first event of `kind` that matches; the others seen on the way are returned too."""
    seen = []
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            pytest.fail(f"no {kind} event in {timeout} s; saw {[k for k, _ in seen]}")
        try:
            k, v = listener.q.get(timeout=left)
        except queue.Empty:
            continue
        if k == kind and matches(v):
            return v, seen
        seen.append((k, v))


def test_user_stream_updates_notifications_edits_deletes_and_heartbeats():
    tag = uuid.uuid4().hex[:6]
    alice, bob = new_user(f"alice_{tag}"), new_user(f"bob_{tag}")
    alice.account_follow(bob.me().id)
    assert alice.stream_healthy()
    listener = Collect()
    handle = alice.stream_user(listener, run_async=True)
    try:
        time.sleep(0.5)
        post = bob.status_post("hello over the stream 你好")
        got, _ = wait_for(listener, "update", lambda s: s.id == post.id)
        assert got.content == post.content
        assert got.account.id == bob.me().id

        mention = bob.status_post(f"@alice_{tag} are you there?")
        note, _ = wait_for(listener, "notification", lambda n: n.type == "mention")
        assert note.status.id == mention.id

        bob.status_update(post.id, "hello again over the stream")
        edited, _ = wait_for(listener, "status.update", lambda s: s.id == post.id)
        assert "again" in edited.content

        bob.status_delete(post.id)
        gone, _ = wait_for(listener, "delete")
        assert int(gone) == int(post.id)

        # `:thump` every 15 s keeps the stream alive.
        wait_for(listener, "heartbeat", timeout=25)
    finally:
        handle.close()


def test_hashtag_and_public_streams_show_only_public_posts():
    tag = uuid.uuid4().hex[:6]
    carol = new_user(f"carol_{tag}")
    hashtag = f"live{tag}"
    on_tag, on_public = Collect(), Collect()
    h1 = carol.stream_hashtag(hashtag, on_tag, run_async=True)
    h2 = carol.stream_public(on_public, run_async=True, local=True)
    try:
        time.sleep(0.5)
        carol.status_post(f"quiet #{hashtag}", visibility="unlisted")
        carol.status_post(f"friends #{hashtag}", visibility="private")
        sentinel = carol.status_post(f"loud #{hashtag}")
        for listener in (on_tag, on_public):
            got, before = wait_for(listener, "update", lambda s: s.id == sentinel.id)
            assert [k for k, _ in before if k == "update"] == [], "only the public post arrives"
    finally:
        h1.close()
        h2.close()
