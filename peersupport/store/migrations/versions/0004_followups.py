"""Follow-up plans (sealed whole) and the sealed agenda of pending steps.

Revision ID: 0004_followups
Revises: 0003_checkins
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_followups"
down_revision = "0003_checkins"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for name, field in (("followup_plan", "plan_sealed"), ("followup_agenda", "entries_sealed")):
        op.create_table(
            name,
            sa.Column("id", sa.String(36), primary_key=True),
            sa.Column("vault_id", sa.String(36), sa.ForeignKey("vault.id"), nullable=False),
            sa.Column("key_id", sa.String(32), nullable=False),
            sa.Column("schema_version", sa.Integer, nullable=False),
            sa.Column(field, sa.LargeBinary, nullable=False),
        )


def downgrade() -> None:
    op.drop_table("followup_agenda")
    op.drop_table("followup_plan")
