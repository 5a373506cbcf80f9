"""The live feed's shared-state token (its delivery to open tabs is in tests/browser/test_instances_page.py)."""

from __future__ import annotations

from livchat.state.feeds import org_token


def test_feed_tokens_have_no_underscore_and_keep_organizations_apart() -> None:
    a, b = org_token("org_01ABCDEF"), org_token("org_01ABCDEG")
    assert a == "org-org01abcdef" and "_" not in a and a != b
