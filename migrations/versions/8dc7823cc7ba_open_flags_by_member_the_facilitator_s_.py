"""Open flags by member (the facilitator's group list)

Revision ID: 8dc7823cc7ba
Revises: d0c310e33c0f
Create Date: 2026-11-23 11:33:09.967060

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '8dc7823cc7ba'
down_revision = 'd0c310e33c0f'
branch_labels = None
depends_on = None


def upgrade():
    # The group list counts each group's open flags: without this PostgreSQL reads every flag.
    with op.batch_alter_table('flags', schema=None) as batch_op:
        batch_op.create_index('ix_flags_open', ['acknowledged_at', 'user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('flags', schema=None) as batch_op:
        batch_op.drop_index('ix_flags_open')
