"""Column helpers shared by every table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field

from livchat.core.db import UTCDateTime, utcnow


def id_field() -> Any:
    return Field(primary_key=True, max_length=40)


def org_field(nullable: bool = False) -> Any:
    return Field(
        default=None if nullable else ...,
        foreign_key="organizations.id",
        index=True,
        max_length=40,
        nullable=nullable,
        ondelete="CASCADE",
    )


def fk(target: str, *, nullable: bool = True, index: bool = True, ondelete: str = "CASCADE") -> Any:
    return Field(
        default=None if nullable else ...,
        foreign_key=target,
        index=index,
        max_length=40,
        nullable=nullable,
        ondelete=ondelete,
    )


def created_at() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def updated_at() -> Any:
    return Field(
        default_factory=utcnow,
        sa_type=UTCDateTime,
        nullable=False,
        sa_column_kwargs={"onupdate": utcnow},
    )


def timestamp(index: bool = False, required: bool = False) -> Any:
    if required:
        return Field(sa_type=UTCDateTime, nullable=False, index=index)
    return Field(default=None, sa_type=UTCDateTime, nullable=True, index=index)


def json_list() -> Any:
    return Field(default_factory=list, sa_column=Column(JSON, nullable=False))


def json_dict(column_name: str | None = None) -> Any:
    """`column_name` lets an attribute such as `metadata_` map to a column named `metadata`."""
    name = [column_name] if column_name else []
    return Field(default_factory=dict, sa_column=Column(*name, JSON, nullable=False))


def long_text(nullable: bool = True) -> Any:
    return Field(default=None if nullable else "", sa_column=Column(Text, nullable=nullable))


__all__ = [
    "created_at",
    "datetime",
    "fk",
    "id_field",
    "json_dict",
    "json_list",
    "long_text",
    "org_field",
    "timestamp",
    "updated_at",
]
