"""Timestamps in the viewer's own time zone, formatted in the browser.

State keeps UTC as RFC 3339 strings (state.times.when); the browser formats them with
Intl.DateTimeFormat in the page's language and the viewer's zone (the zone's short name shown),
and the tooltip gives the same instant in UTC.
"""

from __future__ import annotations

import reflex as rx
from reflex_base.vars.base import VarData

from livchat.state.i18n import LangState

# `(iso, lang, utc) => text`: "" for "", the value itself if it does not parse.
_FORMAT = (
    "((iso, lang, utc) => { if (!iso) return ''; const d = new Date(iso);"
    " if (isNaN(d.getTime())) return String(iso);"
    " const o = {year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit',"
    " timeZoneName: 'short'}; if (utc) o.timeZone = 'UTC';"
    " try { return new Intl.DateTimeFormat(lang, o).format(d); }"
    " catch (e) { return d.toISOString(); } })"
)


def _formatted(iso: rx.Var, utc: bool) -> rx.Var:
    lang = LangState.lang
    return rx.Var(
        f"{_FORMAT}({iso}, {lang}, {'true' if utc else 'false'})",
        _var_type=str,
        _var_data=VarData.merge(iso._get_all_var_data(), lang._get_all_var_data()),
    )


def local_time(iso: rx.Var, **props) -> rx.Component:
    """`iso` (UTC, RFC 3339, or "") in the viewer's local time; its UTC time in the tooltip."""
    return rx.el.time(_formatted(iso, utc=False), date_time=iso, title=_formatted(iso, utc=True),
                      class_name="lc-time", **props)
