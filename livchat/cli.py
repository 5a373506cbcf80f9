"""`livchat` console command: migrations, first users and keys, the standalone WuzAPI sandbox,
several app processes behind one address."""

from __future__ import annotations

import argparse
import asyncio
import sys

from livchat.core.db import db
from livchat.core.logging import configure_logging
from livchat.core.settings import get_settings


def _migrate(_: argparse.Namespace) -> int:
    from livchat.core import crypto, migrations

    migrations.upgrade()
    print(f"database at head ({db.url.split('@')[-1]})", file=sys.stderr)
    key_source = crypto.ensure_master_key()  # "generated into data/ on first run"
    if key_source != "LIVCHAT_SECRET_KEY" and not db.url.startswith("sqlite"):
        # Every host sharing this database needs the same key, or it cannot read the others' secrets.
        print(f"warning: secrets are encrypted with {key_source}; set LIVCHAT_SECRET_KEY on every host "
              "that shares this database", file=sys.stderr)
    return 0


async def _create_user(args: argparse.Namespace) -> int:
    from livchat.models.enums import Role
    from livchat.services.accounts import users

    async with db.session() as session:
        user = await users.create_user(session, args.email, args.password, name=args.name or "")
        org = await users.get_organization_by_name(session, args.org)
        if org is None:
            org = await users.create_organization(session, args.org, owner=user)
        else:
            await users.add_member(session, org, user, Role(args.role))
        await session.commit()
    print(f"created {user.email} in {org.name} ({org.id})", file=sys.stderr)
    return 0


async def _create_api_key(args: argparse.Namespace) -> int:
    from livchat.services.accounts import api_keys, users
    from livchat.services.actors import Actor

    async with db.session() as session:
        org = await users.get_organization_by_name(session, args.org)
        if org is None:
            print(f"error: no organization named {args.org!r}", file=sys.stderr)
            return 1
        created = await api_keys.create_api_key(session, Actor.for_console(org.id), args.name)
        await session.commit()
    print(created.secret)  # stdout carries only the key, for scripts
    return 0


async def _emails(args: argparse.Namespace) -> int:
    """The email outbox: without an email provider, this is where reset and invitation links are."""
    from sqlmodel import col, select

    from livchat.models import EmailOutbox
    from livchat.services.notifications.email import (
        body_of,  # bodies are encrypted at rest
    )

    async with db.session() as session:
        query = select(EmailOutbox).order_by(col(EmailOutbox.id).desc()).limit(args.limit)
        if args.to:
            query = query.where(EmailOutbox.to_email == args.to.strip().lower())
        rows = (await session.exec(query)).all()
    for row in rows:
        print(f"--- {row.created_at:%Y-%m-%d %H:%M} UTC  to {row.to_email}  [{row.status}]\n{row.subject}\n\n{body_of(row)}\n")
    if not rows:
        print("no emails", file=sys.stderr)
    return 0


def _sandbox(args: argparse.Namespace) -> int:
    from livchat.sandbox.standalone import serve

    serve(host=args.host, port=args.port)
    return 0


def _run_async(coro_fn):
    def runner(args: argparse.Namespace) -> int:
        async def main() -> int:
            try:
                return await coro_fn(args)
            finally:
                await db.dispose()

        return asyncio.run(main())

    return runner


def _scale(args: argparse.Namespace) -> int:
    from livchat import scale

    return scale.run(get_settings(), args.processes, args.first_port, build=not args.no_build)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="livchat", description="LivChat administration")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=_migrate)

    user = sub.add_parser("create-user", help="create a local account (and its organization when new)")
    user.add_argument("email")
    user.add_argument("--password", required=True)
    user.add_argument("--org", required=True, help="organization name; created when it does not exist")
    user.add_argument("--name", default="")
    user.add_argument("--role", default="member", choices=["owner", "admin", "member"],
                      help="role when joining an existing organization")
    user.set_defaults(func=_run_async(_create_user))

    key = sub.add_parser("create-api-key", help="create an API key and print it (only it) on stdout")
    key.add_argument("--org", required=True)
    key.add_argument("--name", default="cli")
    key.set_defaults(func=_run_async(_create_api_key))

    emails = sub.add_parser("emails", help="show the latest emails of the outbox (links, without Brevo)")
    emails.add_argument("--to", default="", help="only emails to this address")
    emails.add_argument("--limit", type=int, default=10)
    emails.set_defaults(func=_run_async(_emails))

    sandbox = sub.add_parser("sandbox", help="run the WuzAPI-compatible sandbox on its own")
    sandbox.add_argument("--port", type=int, default=8080)
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.set_defaults(func=_sandbox)

    scale = sub.add_parser("scale", help="serve the app as several processes behind PUBLIC_URL (needs PostgreSQL "
                                         "and Redis); see README")
    scale.add_argument("--processes", type=int, default=2)
    scale.add_argument("--first-port", type=int, default=3001, help="the processes listen on consecutive ports")
    scale.add_argument("--no-build", action="store_true", help="serve the last build of the frontend")
    scale.set_defaults(func=_scale)
    return parser


def main(argv: list[str] | None = None) -> int:
    configure_logging(get_settings().log_level)
    args = build_parser().parse_args(argv)
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from livchat.services.errors import ServiceError

    try:
        return int(args.func(args))
    except ServiceError as exc:
        from livchat.i18n import translate

        print(f"error: {translate('errors.' + exc.detail)}", file=sys.stderr)
        return 1
    except (OperationalError, ProgrammingError) as exc:  # most often: tables not created yet
        print(f"error: database not ready ({exc.orig}); run `livchat migrate` first", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
