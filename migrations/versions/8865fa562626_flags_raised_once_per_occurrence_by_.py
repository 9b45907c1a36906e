"""Flags raised once per occurrence by the follow-up rules (dedupe_key, unique)

Revision ID: 8865fa562626
Revises: 1fbcbce4ab77
Create Date: 2026-11-23 10:15:00.791171

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '8865fa562626'
down_revision = '1fbcbce4ab77'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('flags', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dedupe_key', sa.String(length=40), nullable=True))
        batch_op.create_unique_constraint('uq_flags_occurrence', ['user_id', 'reason', 'dedupe_key'])


def downgrade():
    with op.batch_alter_table('flags', schema=None) as batch_op:
        batch_op.drop_constraint('uq_flags_occurrence', type_='unique')
        batch_op.drop_column('dedupe_key')
