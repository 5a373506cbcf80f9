"""billing: Stripe webhook events applied, the past-due grace, the email sender's backoff

stripe_webhook_events keeps each Stripe event id already applied (a redelivery is a no-op).
subscriptions.past_due_since starts the grace period after a failed payment; stripe_event_created
keeps an older event, delivered late, from undoing a newer one. email_outbox's
next_attempt_at is when the Brevo sender tries a pending email again.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

import sqlalchemy as sa

from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('stripe_webhook_events',
    sa.Column('id', sa.String(length=255), nullable=False),
    sa.Column('organization_id', sa.String(length=40), nullable=True),
    sa.Column('type', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('stripe_webhook_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stripe_webhook_events_organization_id'), ['organization_id'],
                              unique=False)

    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('past_due_since', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('stripe_event_created', sa.BigInteger(), nullable=True))

    with op.batch_alter_table('email_outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('email_outbox', schema=None) as batch_op:
        batch_op.drop_column('next_attempt_at')

    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_column('stripe_event_created')
        batch_op.drop_column('past_due_since')

    with op.batch_alter_table('stripe_webhook_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stripe_webhook_events_organization_id'))

    op.drop_table('stripe_webhook_events')
