"""knowledge: ingestion stages, retries and pages imported by URL

knowledge_files gets the stage its ingestion job is at (for the progress bar), how many runs
started (a file that keeps killing its job is failed, not retried forever), a stable error code
beside the English message, and the address of a web page imported by URL. The status/updated_at
index serves the ingestion workers' claim query (pending rows, and processing rows whose
heartbeat lapsed).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

import sqlalchemy as sa

from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('knowledge_files', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source_url', sa.String(length=2000), nullable=True))
        batch_op.add_column(sa.Column('stage', sa.String(length=20), server_default='queued', nullable=False))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('error_code', sa.String(length=60), nullable=True))
        batch_op.create_index('ix_knowledge_files_status_updated', ['status', 'updated_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('knowledge_files', schema=None) as batch_op:
        batch_op.drop_index('ix_knowledge_files_status_updated')
        batch_op.drop_column('error_code')
        batch_op.drop_column('attempts')
        batch_op.drop_column('stage')
        batch_op.drop_column('source_url')
