"""Mastodon.py's polls, scheduled statuses, notes, endorsements, preferences, profile fields
and featured tags against a running roost.

The Rust integration test `mastodon_py_polls` starts roost on port 0 and runs this file
with ROOST_URL set to its base URL.
"""

import datetime
import os
import uuid

import pytest
from mastodon import Mastodon, MastodonAPIError

URL = os.environ.get("ROOST_URL")
pytestmark = pytest.mark.skipif(not URL, reason="ROOST_URL not set: run through `cargo test`")

SCOPES = ["read", "write", "follow"]


def new_user(name):
    client_id, client_secret = Mastodon.create_app(
        "mastodon-py-polls", api_base_url=URL, scopes=SCOPES, redirect_uris="urn:ietf:wg:oauth:2.0:oob"
    )
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=URL, version_check_mode="created")
    api.create_account(name, "correct horse battery", f"{name}@example.org", agreement=True, scopes=SCOPES)
    return api


def test_polls():
    tag = uuid.uuid4().hex[:6]
    alice, bob = new_user(f"alice{tag}"), new_user(f"bob{tag}")
    poll = alice.make_poll(["tea", "coffee", "water"], expires_in=600, multiple=True, hide_totals=False)
    post = alice.status_post(f"what to drink {tag}", poll=poll)
    assert [o.title for o in post.poll.options] == ["tea", "coffee", "water"]
    assert post.poll.multiple is True
    assert post.poll.expired is False

    voted = bob.poll_vote(post.poll.id, [0, 2])
    assert voted.voted is True
    assert sorted(voted.own_votes) == [0, 2]
    assert voted.votes_count == 2 and voted.voters_count == 1
    with pytest.raises(MastodonAPIError) as e:
        bob.poll_vote(post.poll.id, [1])
    assert e.value.args[1] == 422
    with pytest.raises(MastodonAPIError) as e:
        alice.poll_vote(post.poll.id, [0])
    assert e.value.args[1] == 422

    seen = alice.poll(post.poll.id)
    assert [o.votes_count for o in seen.options] == [1, 0, 1]
    assert bob.status(post.id).poll.own_votes == voted.own_votes

    with pytest.raises(MastodonAPIError) as e:
        alice.status_post("one option", poll=alice.make_poll(["only"], expires_in=600))
    assert e.value.args[1] == 422


def test_scheduled_statuses():
    tag = uuid.uuid4().hex[:6]
    alice, bob = new_user(f"alice{tag}"), new_user(f"bob{tag}")
    when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
    sched = alice.status_post(f"later {tag}", scheduled_at=when, visibility="unlisted")
    assert sched.params.text == f"later {tag}"
    assert abs((sched.scheduled_at - when).total_seconds()) < 1
    assert [s.id for s in alice.scheduled_statuses()] == [sched.id]
    assert alice.scheduled_status(sched.id).params.visibility == "unlisted"
    with pytest.raises(MastodonAPIError) as e:
        bob.scheduled_status(sched.id)
    assert e.value.args[1] == 404

    moved = alice.scheduled_status_update(sched.id, when + datetime.timedelta(hours=1))
    assert moved.scheduled_at > sched.scheduled_at
    alice.scheduled_status_delete(sched.id)
    assert alice.scheduled_statuses() == []

    with pytest.raises(MastodonAPIError) as e:
        alice.status_post("too soon", scheduled_at=datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=1))
    assert e.value.args[1] == 422


def test_notes_endorsements_preferences_and_featured_tags():
    tag = uuid.uuid4().hex[:6]
    alice, bob = new_user(f"alice{tag}"), new_user(f"bob{tag}")
    him = bob.me()

    rel = alice.account_note_set(him.id, "met at the conference")
    assert rel.note == "met at the conference"
    assert alice.account_relationships(him.id)[0].note == "met at the conference"

    with pytest.raises(MastodonAPIError) as e:
        alice.account_pin(him.id)
    assert e.value.args[1] == 422
    alice.account_follow(him.id)
    assert alice.account_pin(him.id).endorsed is True
    assert [a.id for a in alice.endorsements()] == [him.id]
    assert alice.account_unpin(him.id).endorsed is False

    prefs = alice.preferences()
    assert prefs["posting:default:visibility"] == "public"
    alice.account_update_credentials(default_privacy="unlisted", default_sensitive=True, default_language="id")
    prefs = alice.preferences()
    assert prefs["posting:default:visibility"] == "unlisted"
    assert prefs["posting:default:sensitive"] is True
    assert prefs["posting:default:language"] == "id"
    assert alice.me().source.privacy == "unlisted"
    # Mastodon.py always sends `sensitive` (False by default), so only these two follow.
    post = alice.status_post(f"with defaults {tag}")
    assert post.visibility == "unlisted" and post.language == "id"

    me = alice.account_update_credentials(fields=[("Site", "https://example.org"), ("Pronouns", "she/her")])
    assert [f.name for f in me.fields] == ["Site", "Pronouns"]
    assert 'href="https://example.org"' in me.fields[0].value
    assert [f.value for f in alice.me().source.fields] == ["https://example.org", "she/her"]

    alice.status_post(f"about #roost{tag}")
    assert [t.name for t in alice.featured_tag_suggestions()] == [f"roost{tag}"]
    ft = alice.featured_tag_create(f"roost{tag}")
    assert ft.name == f"roost{tag}"
    assert [t.id for t in alice.featured_tags()] == [ft.id]
    assert [t.name for t in bob.account_featured_tags(alice.me().id)] == [f"roost{tag}"]
    alice.featured_tag_delete(ft.id)
    assert alice.featured_tags() == []
