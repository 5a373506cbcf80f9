"""accounts: sessions and clerk sync

Clerk's session id on our sessions (revoked with Clerk's), the `updated_at` of the last Clerk
webhook applied to each synced row (older events are ignored), and the svix ids already applied.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

import sqlalchemy as sa

from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

_CLERK_SYNCED = ('users', 'organizations', 'memberships')


def upgrade() -> None:
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('clerk_session_id', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_user_sessions_clerk_session_id'), ['clerk_session_id'], unique=False)
    for table in _CLERK_SYNCED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('clerk_updated_at', sa.BigInteger(), nullable=True))
    op.create_table('clerk_webhook_events',
    sa.Column('id', sa.String(length=100), nullable=False),
    sa.Column('type', sa.String(length=60), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade() -> None:
    op.drop_table('clerk_webhook_events')
    for table in reversed(_CLERK_SYNCED):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('clerk_updated_at')
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_sessions_clerk_session_id'))
        batch_op.drop_column('clerk_session_id')
