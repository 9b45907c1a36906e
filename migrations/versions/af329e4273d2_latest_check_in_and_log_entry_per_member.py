"""Latest check-in and log entry per member

Revision ID: af329e4273d2
Revises: 8dc7823cc7ba
Create Date: 2026-11-23 11:39:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'af329e4273d2'
down_revision = '8dc7823cc7ba'
branch_labels = None
depends_on = None


def upgrade():
    # The dashboard's "last active": each member's latest check-in and log entry in one index
    # step, however many years of history they have.
    with op.batch_alter_table('check_ins', schema=None) as batch_op:
        batch_op.create_index('ix_check_ins_user_updated', ['user_id', 'updated_at'], unique=False)
    with op.batch_alter_table('log_entries', schema=None) as batch_op:
        batch_op.create_index('ix_log_entries_user_updated', ['user_id', 'updated_at'], unique=False)


def downgrade():
    with op.batch_alter_table('log_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_log_entries_user_updated')
    with op.batch_alter_table('check_ins', schema=None) as batch_op:
        batch_op.drop_index('ix_check_ins_user_updated')
