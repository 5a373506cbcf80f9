"""voice: the widget's Vapi web calls

voice_calls keeps each Vapi call a widget visitor started (claimed by their contact session, one
row per Vapi call id in an organization) and, once it ended, what GET /call/{id} said of it: status,
ended reason, times, duration, cost, summary, transcript, recording. The organization's Vapi keys
and chosen assistant use the existing `plugins` table (service "vapi", keys encrypted).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

import sqlalchemy as sa

from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('voice_calls',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('organization_id', sa.String(length=40), nullable=False),
    sa.Column('vapi_call_id', sa.String(length=100), nullable=False),
    sa.Column('contact_session_id', sa.String(length=40), nullable=True),
    sa.Column('conversation_id', sa.String(length=40), nullable=True),
    sa.Column('message_id', sa.String(length=40), nullable=True),
    sa.Column('assistant_id', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=40), nullable=False),
    sa.Column('ended_reason', sa.String(length=200), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('duration_seconds', sa.Integer(), nullable=True),
    sa.Column('cost', sa.Float(), nullable=True),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('transcript', sa.Text(), nullable=True),
    sa.Column('recording_url', sa.String(length=2000), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contact_session_id'], ['contact_sessions.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('organization_id', 'vapi_call_id', name='uq_voice_calls_org_call')
    )
    with op.batch_alter_table('voice_calls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_voice_calls_contact_session_id'), ['contact_session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_voice_calls_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_voice_calls_organization_id'), ['organization_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('voice_calls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_voice_calls_organization_id'))
        batch_op.drop_index(batch_op.f('ix_voice_calls_conversation_id'))
        batch_op.drop_index(batch_op.f('ix_voice_calls_contact_session_id'))

    op.drop_table('voice_calls')
