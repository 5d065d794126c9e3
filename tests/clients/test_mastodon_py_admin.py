"""Mastodon.py's report and admin calls against a running roost.

The Rust integration test `mastodon_py_admin` starts roost on port 0, creates a moderator
and runs this file with ROOST_URL and MODERATOR_TOKEN (an admin-scoped token) set.
"""

import os
import uuid

import pytest
from mastodon import Mastodon
from mastodon.errors import MastodonAPIError

URL = os.environ.get("ROOST_URL")
pytestmark = pytest.mark.skipif(not URL, reason="ROOST_URL not set: run through `cargo test`")

SCOPES = ["read", "write", "follow", "push"]
PASSWORD = "correct horse battery"


def app(scopes):
    return Mastodon.create_app(
        "mastodon-py-admin", api_base_url=URL, scopes=scopes, redirect_uris="urn:ietf:wg:oauth:2.0:oob"
    )


def new_user(name):
    client_id, client_secret = app(SCOPES)
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=URL, version_check_mode="created")
    api.create_account(name, PASSWORD, f"{name}@example.org", agreement=True, scopes=SCOPES)
    return api


def moderator():
    # Mastodon.py refuses the password grant on Mastodon 4.4 and later: the Rust test
    # signs the moderator in and hands over the token.
    return Mastodon(access_token=os.environ["MODERATOR_TOKEN"], api_base_url=URL, version_check_mode="created")


def test_report_and_moderate():
    tag = uuid.uuid4().hex[:8]
    alice = new_user(f"alice{tag}")
    bob = new_user(f"bob{tag}")
    bob_id = bob.me()["id"]
    post = bob.status_post(f"buy cheap watches {tag}")

    report = alice.report(bob_id, status_ids=[post["id"]], comment="spam", category="spam")
    assert report["category"] == "spam"
    assert report["target_account"]["id"] == bob_id
    assert [str(i) for i in report["status_ids"]] == [str(post["id"])]
    assert report["action_taken"] is False

    # A user is refused the admin API.
    with pytest.raises(MastodonAPIError):
        alice.admin_accounts()

    mod = moderator()
    accounts = mod.admin_accounts(username=f"bob{tag}")
    assert [a["id"] for a in accounts] == [bob_id]
    assert accounts[0]["account"]["username"] == f"bob{tag}"
    assert accounts[0]["suspended"] is False
    assert accounts[0]["email"] == f"bob{tag}@example.org"

    reports = mod.admin_reports()
    mine = [r for r in reports if r["id"] == report["id"]]
    assert len(mine) == 1
    assert mine[0]["target_account"]["id"] == bob_id
    assert mine[0]["statuses"][0]["id"] == post["id"]
    assert mine[0]["account"]["username"] == f"alice{tag}"

    # Silence, then suspend with the report: the report is resolved, Bob's post is gone.
    mod.admin_account_moderate(bob_id, action="silence")
    assert mod.admin_account(bob_id)["silenced"] is True
    mod.admin_account_moderate(bob_id, action="suspend", report_id=report["id"])
    assert mod.admin_account(bob_id)["suspended"] is True
    assert alice.account(bob_id)["suspended"] is True
    assert post["id"] not in [s["id"] for s in alice.timeline_public()]
    assert all(r["id"] != report["id"] for r in mod.admin_reports())
    assert mod.admin_report(report["id"])["action_taken"] is True
    suspended = mod.admin_accounts_v2(status="suspended")
    assert bob_id in [a["id"] for a in suspended]

    # A second report, resolved on its own.
    carol = new_user(f"carol{tag}")
    r2 = alice.report(carol.me()["id"], comment="rude")
    resolved = mod.admin_report_resolve(r2["id"])
    assert resolved["action_taken"] is True
    assert r2["id"] in [r["id"] for r in mod.admin_reports(resolved=True)]

    mod.admin_account_unsuspend(bob_id)
    assert mod.admin_account(bob_id)["suspended"] is False
