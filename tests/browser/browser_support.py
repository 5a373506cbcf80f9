"""Helpers of the browser tests (the fixtures are in conftest.py): the `livchat` CLI on the
served app's data, a linked account, signing in."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Page, expect

ROOT = Path(__file__).resolve().parents[2]


def livchat_cli(live_env: dict[str, str], *args: str) -> str:
    """Run `livchat <args>` on the served app's data; its standard output."""
    done = subprocess.run([str(Path(sys.executable).parent / "livchat"), *args], env=live_env, cwd=ROOT,
                          check=True, capture_output=True, text=True, timeout=120)
    return done.stdout


@dataclass(frozen=True)
class LinkedAccount:
    """A user whose organization has one instance linked to the sandbox's phone, with messages."""

    email: str
    password: str
    instance_id: str
    api_key: str


def sign_in(page: Page, live_app: str, email: str, password: str) -> None:
    page.goto(live_app + "/sign-in")
    page.locator("#field-email").fill(email)
    page.locator("#field-password").fill(password)
    page.locator("#sign-in-submit").click()
    expect(page.locator("#dashboard-title")).to_be_visible()
