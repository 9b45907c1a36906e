"""SMS outbox: counts by kind and status from one index

Revision ID: 3e8b5c1d9a47
Revises: af329e4273d2
Create Date: 2026-11-23 15:05:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '3e8b5c1d9a47'
down_revision = 'af329e4273d2'
branch_labels = None
depends_on = None


def upgrade():
    # The admin's delivery statistics count the week's messages by kind and status: with both
    # in the index after created_at, PostgreSQL answers from the index alone instead of reading
    # every row (and its body). The new index starts with created_at, so it replaces the old one.
    with op.batch_alter_table('sms_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_sms_outbox_created_kind_status',
                              ['created_at', 'kind', 'status'], unique=False)
        batch_op.drop_index('ix_sms_outbox_created_at')


def downgrade():
    with op.batch_alter_table('sms_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_sms_outbox_created_at', ['created_at'], unique=False)
        batch_op.drop_index('ix_sms_outbox_created_kind_status')
