from __future__ import annotations

import os
import re
import subprocess
import sys

from sqlmodel import select

from livchat.core.db import db
from livchat.models import Membership, Organization
from livchat.services.accounts import api_keys


def livchat(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": db.url}
    return subprocess.run(
        [sys.executable, "-m", "livchat.cli", *args], env=env, capture_output=True, text=True, timeout=120
    )


async def test_create_user_org_and_key(session) -> None:  # type: ignore[no-untyped-def]
    assert livchat("migrate").returncode == 0

    created = livchat("create-user", "Ana@Example.com", "--password", "correct-horse", "--org", "Acme Ltd")
    assert created.returncode == 0, created.stderr
    joined = livchat("create-user", "bob@example.com", "--password", "correct-horse", "--org", "Acme Ltd")
    assert joined.returncode == 0, joined.stderr

    org = (await session.exec(select(Organization).where(Organization.name == "Acme Ltd"))).one()
    roles = sorted((await session.exec(select(Membership.role).where(Membership.organization_id == org.id))).all())
    assert roles == ["member", "owner"]

    key = livchat("create-api-key", "--org", "Acme Ltd")
    assert key.returncode == 0, key.stderr
    secret = key.stdout.strip()
    assert re.fullmatch(r"lc_live_[A-Za-z0-9_-]{40,}", secret), key.stdout  # stdout is the key alone
    found = await api_keys.authenticate(session, secret)
    assert found is not None and found[0].id == org.id


async def test_cli_errors_are_clear(session) -> None:  # type: ignore[no-untyped-def]
    livchat("create-user", "ana@example.com", "--password", "correct-horse", "--org", "Acme")
    again = livchat("create-user", "ANA@example.com", "--password", "correct-horse", "--org", "Acme")
    assert again.returncode == 1
    assert "already exists" in again.stderr
    short = livchat("create-user", "new@example.com", "--password", "short", "--org", "Acme")
    assert short.returncode == 1 and "at least 8 characters" in short.stderr
    missing = livchat("create-api-key", "--org", "Nobody")
    assert missing.returncode == 1 and missing.stdout == ""


async def test_emails_shows_the_outbox(session) -> None:  # type: ignore[no-untyped-def]
    from livchat.services.notifications.email import send_email

    await send_email(session, "ana@example.com", "Reset your password", "Open http://localhost:3000/reset?t=abc")
    await send_email(session, "bob@example.com", "Invitation", "Join us")
    await session.commit()
    shown = livchat("emails", "--to", "ANA@example.com")
    assert shown.returncode == 0
    assert "Reset your password" in shown.stdout and "reset?t=abc" in shown.stdout
    assert "Invitation" not in shown.stdout


def test_commands_on_an_unmigrated_database_say_what_to_do(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}", "LIVCHAT_DATA_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "livchat.cli", "create-api-key", "--org", "Acme"],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and result.stdout == ""
    assert "run `livchat migrate` first" in result.stderr and "Traceback" not in result.stderr


def test_migrate_generates_the_master_key_on_first_run(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}", "LIVCHAT_DATA_DIR": str(tmp_path),
           "LIVCHAT_SECRET_KEY": ""}
    result = subprocess.run([sys.executable, "-m", "livchat.cli", "migrate"], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    key_file = tmp_path / "secret.key"
    assert key_file.stat().st_mode & 0o777 == 0o600 and len(key_file.read_text()) >= 48
