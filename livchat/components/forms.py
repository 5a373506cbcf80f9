"""Form pieces: a visible label tied to its input (placeholders alone are no label)."""

from __future__ import annotations

import reflex as rx

from livchat.components.i18n import t


def label(label_key: str, input_id: str, **props) -> rx.Component:
    """The label of the input whose id is `input_id` (clicking it focuses the input; screen
    readers announce it as the input's name)."""
    props.setdefault("size", "2")
    props.setdefault("weight", "medium")
    return rx.text(t(label_key), as_="label", custom_attrs={"htmlFor": input_id}, **props)


def labelled(label_key: str, control: rx.Component, input_id: str, **props) -> rx.Component:
    """`control` (an input with id `input_id`) under its label."""
    return rx.vstack(label(label_key, input_id), control, spacing="1", **props)
