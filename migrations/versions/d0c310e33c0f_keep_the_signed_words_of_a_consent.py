"""Keep the signed words of a consent

Revision ID: d0c310e33c0f
Revises: d0f41ef8cd89
Create Date: 2026-11-23 10:26:14.281266

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd0c310e33c0f'
down_revision = 'd0f41ef8cd89'
branch_labels = None
depends_on = None


def upgrade():
    # Consents signed before this stay NULL: the app shows today's words for them, saying so.
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signed_statement', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.drop_column('signed_statement')
