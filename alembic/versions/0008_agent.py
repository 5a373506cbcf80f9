"""agent: per-organization agent settings, unanswered questions, WhatsApp conversations

agent_settings holds how an organization's AI agent answers its widget (on or off, its own
instructions, a tone). agent_unanswered_questions keeps each question the agent handed to a human
because the knowledge base had nothing relevant (support analytics). A conversation message
mirroring a WhatsApp message names it (`source_message_id`, unique: an inbound message enters a
conversation once), and a WhatsApp contact's conversation on a number is found by
(instance_id, contact_id).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

import sqlalchemy as sa

from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('agent_settings',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('organization_id', sa.String(length=40), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('instructions', sa.Text(), nullable=False),
    sa.Column('tone', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('organization_id')
    )
    op.create_table('agent_unanswered_questions',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('organization_id', sa.String(length=40), nullable=False),
    sa.Column('conversation_id', sa.String(length=40), nullable=True),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('language', sa.String(length=10), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('best_similarity', sa.Float(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('agent_unanswered_questions', schema=None) as batch_op:
        batch_op.create_index('ix_agent_unanswered_org_created', ['organization_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_agent_unanswered_questions_conversation_id'), ['conversation_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_agent_unanswered_questions_organization_id'), ['organization_id'],
                              unique=False)

    with op.batch_alter_table('conversation_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source_message_id', sa.String(length=40), nullable=True))
        batch_op.create_index(batch_op.f('ix_conversation_messages_source_message_id'), ['source_message_id'],
                              unique=True)

    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.create_index('ix_conversations_instance_contact', ['instance_id', 'contact_id', 'created_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_index('ix_conversations_instance_contact')

    with op.batch_alter_table('conversation_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversation_messages_source_message_id'))
        batch_op.drop_column('source_message_id')

    with op.batch_alter_table('agent_unanswered_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agent_unanswered_questions_organization_id'))
        batch_op.drop_index(batch_op.f('ix_agent_unanswered_questions_conversation_id'))
        batch_op.drop_index('ix_agent_unanswered_org_created')

    op.drop_table('agent_unanswered_questions')
    op.drop_table('agent_settings')
