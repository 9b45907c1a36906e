"""Audit log append-only on PostgreSQL: a trigger refuses UPDATE and DELETE of audit rows

Revision ID: a7d3e1c90b42
Revises: 8865fa562626
Create Date: 2026-11-23 10:40:00.000000

The app never changes an audit event (wham/audit.py refuses it in the ORM too); this makes the
database refuse it as well, whatever client connects. Row-level only: TRUNCATE, which needs the
table owner's rights, still works (the test harness empties tables with it). SQLite has no
such trigger: it is the single-user, embedded database.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a7d3e1c90b42'
down_revision = '8865fa562626'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("""
        CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END;
        $$
    """)
    op.execute("""
        CREATE TRIGGER audit_events_append_only
        BEFORE UPDATE OR DELETE ON audit_events
        FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()
    """)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
    op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
