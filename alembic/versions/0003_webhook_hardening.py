"""webhooks: delivery hardening

Every rotated-out secret keeps signing until its own expiry (`previous_secrets` replaces the one
previous secret); a delivery row remembers why it failed and a redelivery asked for while it was
in flight.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

import json
from datetime import UTC

import sqlalchemy as sa

from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

_endpoints = sa.table(
    'webhook_endpoints', sa.column('id', sa.String()), sa.column('previous_secrets', sa.JSON()),
    sa.column('previous_secret_encrypted', sa.String()),
    sa.column('previous_secret_expires_at', sa.DateTime(timezone=True)),
)


def _iso(value):  # SQLite hands back naive UTC
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


def upgrade() -> None:
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('redeliver_requested', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('failure_reason', sa.String(length=40), nullable=True))
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('previous_secrets', sa.JSON(), nullable=False, server_default='[]'))
    bind = op.get_bind()
    rows = bind.execute(sa.select(_endpoints.c.id, _endpoints.c.previous_secret_encrypted,
                                  _endpoints.c.previous_secret_expires_at)
                        .where(_endpoints.c.previous_secret_encrypted.is_not(None),
                               _endpoints.c.previous_secret_expires_at.is_not(None))).all()
    for endpoint_id, secret, expires in rows:
        bind.execute(_endpoints.update().where(_endpoints.c.id == endpoint_id).values(
            previous_secrets=[{"secret": secret, "expiresAt": _iso(expires)}]))
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.drop_column('previous_secret_expires_at')
        batch_op.drop_column('previous_secret_encrypted')


def downgrade() -> None:
    from datetime import datetime

    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('previous_secret_encrypted', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('previous_secret_expires_at', sa.DateTime(timezone=True), nullable=True))
    bind = op.get_bind()
    for endpoint_id, previous in bind.execute(sa.select(_endpoints.c.id, _endpoints.c.previous_secrets)).all():
        previous = json.loads(previous) if isinstance(previous, str) else previous
        if previous:  # the one column keeps the newest; older ones stop signing
            expires = datetime.fromisoformat(previous[0]["expiresAt"])
            if bind.dialect.name == "sqlite":  # stored as naive UTC there
                expires = expires.astimezone(UTC).replace(tzinfo=None)
            bind.execute(_endpoints.update().where(_endpoints.c.id == endpoint_id).values(
                previous_secret_encrypted=previous[0]["secret"], previous_secret_expires_at=expires))
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.drop_column('previous_secrets')
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_column('failure_reason')
        batch_op.drop_column('redeliver_requested')
