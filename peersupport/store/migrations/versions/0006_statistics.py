"""Statistics records, kept apart from check-ins so that counts can outlive records.

Revision ID: 0006_statistics
Revises: 0005_requests
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_statistics"
down_revision = "0005_requests"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stat_record",
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("incident_category", sa.String(32), nullable=False),
        sa.Column("contact_type", sa.String(32), nullable=False),
        sa.Column("initiated_by", sa.String(32), nullable=False),
        sa.Column("recipient_class", sa.String(32), nullable=False),
        sa.Column("duration_bucket", sa.String(16), nullable=False),
        sa.Column("referral_types", sa.String(200), nullable=False),
        sa.Column("followup", sa.String(8), nullable=False),
        # clustered by month (then by the random id): a range of months is one sweep
        sa.PrimaryKeyConstraint("period", "id"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_stat_record_id", "stat_record", ["id"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_stat_record_id", "stat_record")
    op.drop_table("stat_record")
