"""Mastodon.py's custom emoji calls against a running roost.

The Rust integration test `roost_admin_emoji_from_the_command_line` adds emoji with the
`roost admin emoji` command, starts roost on port 0 and runs this file with ROOST_URL set.
"""

import os
import uuid

import pytest
from mastodon import Mastodon

URL = os.environ.get("ROOST_URL")
pytestmark = pytest.mark.skipif(not URL, reason="ROOST_URL not set: run through `cargo test`")

SCOPES = ["read", "write", "follow", "push"]


def test_custom_emojis_listed_and_named_in_statuses():
    anonymous = Mastodon(api_base_url=URL, version_check_mode="none")
    emojis = anonymous.custom_emojis()
    assert [e.shortcode for e in emojis] == ["party_parrot"]
    parrot = emojis[0]
    assert parrot.category == "Birds"
    assert parrot.visible_in_picker is True
    assert parrot.url.startswith(URL + "/media/") and parrot.url.endswith(".png")
    assert parrot.static_url == parrot.url

    client_id, client_secret = Mastodon.create_app(
        "mastodon-py-emoji", api_base_url=URL, scopes=SCOPES, redirect_uris="urn:ietf:wg:oauth:2.0:oob"
    )
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=URL, version_check_mode="created")
    name = "py" + uuid.uuid4().hex[:8]
    api.create_account(name, "correct horse battery", f"{name}@example.org", agreement=True, scopes=SCOPES)
    status = api.status_post("squawk :party_parrot: :quiet: :nope:")
    assert [e.shortcode for e in status.emojis] == ["party_parrot", "quiet"]
    assert status.emojis[0].url == parrot.url
    me = api.account_update_credentials(display_name="Polly :party_parrot:")
    assert [e.shortcode for e in me.emojis] == ["party_parrot"]
