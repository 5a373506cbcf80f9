"""One table shape for every list in the dashboard.

On wide screens a normal table; on phones (≤ 600 px, assets/livchat.css) each row becomes a card
and each cell shows its column's name above its value, so no column hides off-screen. A column
is declared once — its header and how a row fills it — and the table builds both from that.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import reflex as rx

from livchat.components.i18n import t


@dataclass(frozen=True)
class Column:
    """`label_key`: the header (an i18n key); `label`: a literal header instead ("URL", "#").
    `actions`: a column of buttons — its header is read to screen readers only, and on a phone
    its cell shows no name above the buttons."""

    label_key: str
    render: Callable[[rx.Var], Any]
    label: str = ""
    actions: bool = False

    def header(self) -> rx.Var | str:
        return self.label or t(self.label_key)


def actions_column(render: Callable[[rx.Var], Any]) -> Column:
    return Column("table.actions", render, actions=True)


def data_table(
    rows: rx.Var,
    columns: list[Column],
    *,
    table_id: str | None = None,
    row_class: str = "",
    row_attrs: Callable[[rx.Var], dict[str, Any]] | None = None,
    detail_row: Callable[[rx.Var], rx.Component] | None = None,
    empty_key: str | None = None,
    empty_id: str | None = None,
    size: str = "2",
) -> rx.Component:
    """A table of `rows` (a list var). `row_attrs(row)` adds attributes to a row (data-*, for
    tests and styling); `detail_row(row)` may add a full-width row under it (`detail(...)`).
    With `empty_key`, an empty list shows that text instead of an empty table."""

    def render_row(row: rx.Var) -> rx.Component:
        main = rx.table.row(
            *[_cell(column, row) for column in columns],
            class_name=f"lc-row {row_class}".strip(),
            **(row_attrs(row) if row_attrs else {}),
        )
        return rx.fragment(main, detail_row(row)) if detail_row else main

    table = rx.table.root(
        rx.table.header(rx.table.row(*[
            rx.table.column_header_cell(rx.el.span(column.header(), class_name="lc-sr-only") if column.actions
                                        else column.header())
            for column in columns
        ])),
        rx.table.body(rx.foreach(rows, render_row)),
        width="100%",
        size=size,
        class_name="lc-table",
        **({"id": table_id} if table_id else {}),
    )
    if empty_key is None:
        return table
    return rx.cond(
        rows.length() > 0,
        table,
        rx.text(t(empty_key), color_scheme="gray", **({"id": empty_id} if empty_id else {})),
    )


def detail(*children: rx.Component, columns: int, class_name: str = "") -> rx.Component:
    """A full-width row under a table row (a panel that opens for it)."""
    return rx.table.row(rx.table.cell(*children, col_span=columns),
                        class_name=f"lc-detail-row {class_name}".strip())


def _cell(column: Column, row: rx.Var) -> rx.Component:
    label = "" if column.actions else column.header()
    return rx.table.cell(column.render(row), custom_attrs={"data-label": label})
