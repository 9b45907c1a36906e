"""SMS statistics: recent failures and the numbers' counts from indexes

Revision ID: 73b3f5f3b549
Revises: 3e8b5c1d9a47
Create Date: 2026-11-23 15:49:14

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '73b3f5f3b549'
down_revision = '3e8b5c1d9a47'
branch_labels = None
depends_on = None


def upgrade():
    # The admin's recent failures are the newest few of each failed status: read from the end
    # of (status, updated_at), not by sorting every failure of the period.
    with op.batch_alter_table('sms_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_sms_outbox_status_updated_at',
                              ['status', 'updated_at'], unique=False)
    # The numbers that stopped texts or cannot get them are counted from their indexes (few
    # people, however many contacts there are), not by reading every contact.
    with op.batch_alter_table('sms_contacts', schema=None) as batch_op:
        batch_op.create_index('ix_sms_contacts_opted_out_at', ['opted_out_at'], unique=False)
        batch_op.create_index('ix_sms_contacts_invalid_at', ['invalid_at'], unique=False)


def downgrade():
    with op.batch_alter_table('sms_contacts', schema=None) as batch_op:
        batch_op.drop_index('ix_sms_contacts_invalid_at')
        batch_op.drop_index('ix_sms_contacts_opted_out_at')
    with op.batch_alter_table('sms_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_sms_outbox_status_updated_at')
