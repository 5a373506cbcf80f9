"""foundation: list-screen indexes, notification parameters

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

import sqlalchemy as sa

from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # List screens page by `id < cursor` newest first: index what they order by.
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_instance_created')
        batch_op.drop_index('ix_messages_instance_chat_created')
        batch_op.create_index('ix_messages_instance_id', ['instance_id', 'id'], unique=False)
        batch_op.create_index('ix_messages_instance_chat_id', ['instance_id', 'chat_jid', 'id'], unique=False)
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_deliveries_instance_id')
        batch_op.create_index('ix_deliveries_instance_id', ['instance_id', 'id'], unique=False)
        batch_op.create_index('ix_deliveries_instance_status_id', ['instance_id', 'status', 'id'], unique=False)
    # Notices are rendered in the reader's language from their kind and parameters.
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('params', sa.JSON(), server_default='{}', nullable=False))
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_org_unread', ['organization_id', 'read_at', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_org_unread')
        batch_op.drop_column('params')
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_deliveries_instance_status_id')
        batch_op.drop_index('ix_deliveries_instance_id')
        batch_op.create_index('ix_webhook_deliveries_instance_id', ['instance_id'], unique=False)
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_instance_chat_id')
        batch_op.drop_index('ix_messages_instance_id')
        batch_op.create_index('ix_messages_instance_chat_created', ['instance_id', 'chat_jid', 'created_at'], unique=False)
        batch_op.create_index('ix_messages_instance_created', ['instance_id', 'created_at'], unique=False)
