"""Mastodon.py's media calls against a running roost.

The Rust integration test `mastodon_py_media` starts roost on port 0 and runs this file
with ROOST_URL set.
"""

import os
import struct
import uuid
import zlib

import pytest
from mastodon import Mastodon
from mastodon.errors import MastodonAPIError

URL = os.environ.get("ROOST_URL")
pytestmark = pytest.mark.skipif(not URL, reason="ROOST_URL not set: run through `cargo test`")

SCOPES = ["read", "write", "follow", "push"]


def new_user(name):
    client_id, client_secret = Mastodon.create_app(
        "mastodon-py-media", api_base_url=URL, scopes=SCOPES, redirect_uris="urn:ietf:wg:oauth:2.0:oob"
    )
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=URL, version_check_mode="created")
    api.create_account(name, "correct horse battery", f"{name}@example.org", agreement=True, scopes=SCOPES)
    return api


def png(w, h):
    """A w x h RGB PNG, built by hand (no imaging library needed)."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(
        b"\x00" + bytes(v for x in range(w) for v in (x * 9 % 256, y * 7 % 256, 120)) for y in range(h)
    )
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def test_media_post_attach_update_and_avatar():
    name = "py" + uuid.uuid4().hex[:8]
    api = new_user(name)
    media = api.media_post(png(32, 24), mime_type="image/png", description="a gradient", synchronous=True)
    assert media.type == "image"
    assert media.url
    assert media.meta.original.width == 32
    assert media.description == "a gradient"

    media = api.media_update(media, description="a small gradient", focus=(0.5, -0.5))
    assert media.description == "a small gradient"
    assert media.meta.focus.x == 0.5

    status = api.status_post("with a picture", media_ids=[media])
    assert len(status.media_attachments) == 1
    assert status.media_attachments[0].id == media.id
    assert status.media_attachments[0].description == "a small gradient"

    # Attached once only.
    with pytest.raises(MastodonAPIError):
        api.status_post("again", media_ids=[media])

    # Something that is not media, whatever its name says.
    with pytest.raises(MastodonAPIError):
        api.media_post(b"<html></html>", mime_type="image/png", file_name="x.png")

    me = api.account_update_credentials(avatar=png(48, 48), avatar_mime_type="image/png")
    assert "/media/" in me.avatar
    assert api.account_verify_credentials().avatar == me.avatar
