"""support desk

Contacts (a widget session's visitor, or a WhatsApp number) with their conversations; what the
inbox lists without reading messages (last message, unread counts on both sides, escalation
time); attachments kept in private storage; saved replies; the widget's default language and
uploaded logo. Operator messages are stored as `operator` (they were `human`).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

import sqlalchemy as sa

from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

_messages = sa.table('conversation_messages', sa.column('sender', sa.String()))


def upgrade() -> None:
    op.create_table('contacts',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('organization_id', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('metadata', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('organization_id', 'phone', name='uq_contacts_org_phone')
    )
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.create_index('ix_contacts_org_email', ['organization_id', 'email'], unique=False)
        batch_op.create_index(batch_op.f('ix_contacts_organization_id'), ['organization_id'], unique=False)

    op.create_table('saved_replies',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('organization_id', sa.String(length=40), nullable=False),
    sa.Column('shortcut', sa.String(length=40), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_by_user_id', sa.String(length=40), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('organization_id', 'shortcut', name='uq_saved_replies_org_shortcut')
    )
    with op.batch_alter_table('saved_replies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_saved_replies_organization_id'), ['organization_id'], unique=False)

    op.create_table('conversation_attachments',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('organization_id', sa.String(length=40), nullable=False),
    sa.Column('conversation_id', sa.String(length=40), nullable=False),
    sa.Column('message_id', sa.String(length=40), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_key', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['message_id'], ['conversation_messages.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('conversation_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conversation_attachments_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_conversation_attachments_message_id'), ['message_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_conversation_attachments_organization_id'), ['organization_id'], unique=False)

    with op.batch_alter_table('contact_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_id', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_contact_sessions_contact_id'), ['contact_id'], unique=False)
        batch_op.create_foreign_key('fk_contact_sessions_contact_id', 'contacts', ['contact_id'], ['id'],
                                    ondelete='SET NULL')

    with op.batch_alter_table('conversation_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('author_api_key_id', sa.String(length=40), nullable=True))
        batch_op.create_foreign_key('fk_conversation_messages_author_api_key_id', 'api_keys', ['author_api_key_id'],
                                    ['id'], ondelete='SET NULL')
    op.execute(_messages.update().where(_messages.c.sender == 'human').values(sender='operator'))

    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_id', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('language', sa.String(length=10), nullable=False, server_default='en'))
        batch_op.add_column(sa.Column('contact_unread_count', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('contact_last_seen_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_message_id', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('last_message_preview', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('last_message_sender', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_conversations_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index('ix_conversations_org_last', ['organization_id', 'last_message_at', 'id'], unique=False)
        batch_op.create_foreign_key('fk_conversations_contact_id', 'contacts', ['contact_id'], ['id'],
                                    ondelete='SET NULL')

    with op.batch_alter_table('widget_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('logo_storage_key', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('logo_content_type', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('locale', sa.String(length=10), nullable=False, server_default='en'))


def downgrade() -> None:
    with op.batch_alter_table('widget_settings', schema=None) as batch_op:
        batch_op.drop_column('locale')
        batch_op.drop_column('logo_content_type')
        batch_op.drop_column('logo_storage_key')

    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_constraint('fk_conversations_contact_id', type_='foreignkey')
        batch_op.drop_index('ix_conversations_org_last')
        batch_op.drop_index(batch_op.f('ix_conversations_contact_id'))
        batch_op.drop_column('escalated_at')
        batch_op.drop_column('last_message_sender')
        batch_op.drop_column('last_message_preview')
        batch_op.drop_column('last_message_id')
        batch_op.drop_column('contact_last_seen_at')
        batch_op.drop_column('contact_unread_count')
        batch_op.drop_column('language')
        batch_op.drop_column('contact_id')

    op.execute(_messages.update().where(_messages.c.sender == 'operator').values(sender='human'))
    with op.batch_alter_table('conversation_messages', schema=None) as batch_op:
        batch_op.drop_constraint('fk_conversation_messages_author_api_key_id', type_='foreignkey')
        batch_op.drop_column('author_api_key_id')

    with op.batch_alter_table('contact_sessions', schema=None) as batch_op:
        batch_op.drop_constraint('fk_contact_sessions_contact_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_contact_sessions_contact_id'))
        batch_op.drop_column('last_seen_at')
        batch_op.drop_column('contact_id')

    op.drop_table('conversation_attachments')
    op.drop_table('saved_replies')
    op.drop_table('contacts')
