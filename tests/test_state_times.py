from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from livchat.state.times import when


def test_instants_reach_the_page_as_utc_rfc_3339() -> None:
    """The browser formats them in the viewer's zone (components/time.py): the state keeps UTC."""
    assert when(datetime(2026, 5, 1, 14, 3, 9)) == "2026-05-01T14:03:09Z"  # naive: UTC, as stored
    assert when(datetime(2026, 5, 1, 11, 3, tzinfo=timezone(timedelta(hours=-3)))) == "2026-05-01T14:03:00Z"
    assert when(datetime(2026, 5, 1, 14, 3, tzinfo=UTC)) == "2026-05-01T14:03:00Z"
    assert when("2026-05-01T14:03:00.123456+00:00") == "2026-05-01T14:03:00Z"  # a service view's ISO string
    assert when("2026-05-01T14:03:00Z") == "2026-05-01T14:03:00Z"
    assert when(None) == "" and when("") == ""
    assert when("not a date") == "not a date"  # shown as it is rather than lost
