"""Days done texted back to a check-in reminder, kept until the check-in is saved

Revision ID: d0f41ef8cd89
Revises: a7d3e1c90b42
Create Date: 2026-11-23 10:21:16.687769

"""
import sqlalchemy as sa
from alembic import op

import wham.database

# revision identifiers, used by Alembic.
revision = 'd0f41ef8cd89'
down_revision = 'a7d3e1c90b42'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'texted_days_done',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('week_start', sa.Date(), nullable=False),
        sa.Column('days_done', sa.SmallInteger(), nullable=False),
        sa.Column('received_at', wham.database.UTCDateTime(), nullable=False),
        sa.CheckConstraint('days_done BETWEEN 0 AND 7',
                           name=op.f('ck_texted_days_done_days_done_0_to_7')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_texted_days_done_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_texted_days_done')),
        sa.UniqueConstraint('user_id', 'week_start', name=op.f('uq_texted_days_done_user_id')),
    )
    with op.batch_alter_table('texted_days_done', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_texted_days_done_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('texted_days_done', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_texted_days_done_user_id'))
    op.drop_table('texted_days_done')
