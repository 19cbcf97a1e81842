"""Check-ins (coarse codes in plaintext, everything else sealed), the sealed per-month index of
check-ins, sealed form drafts, and sealed vault-wide values (the notice's authenticating copy).

Revision ID: 0003_checkins
Revises: 0002_officers
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_checkins"
down_revision = "0002_officers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "checkin",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("vault_id", sa.String(36), sa.ForeignKey("vault.id"), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("schema_version", sa.Integer, nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("incident_category", sa.String(32), nullable=False),
        sa.Column("contact_type", sa.String(32), nullable=False),
        sa.Column("initiated_by", sa.String(32), nullable=False),
        sa.Column("recipient_class", sa.String(32), nullable=False),
        sa.Column("duration_bucket", sa.String(16), nullable=False),
        sa.Column("referral_types", sa.String(200), nullable=False),
        sa.Column("summary_sealed", sa.LargeBinary, nullable=False),
        sa.Column("incident_ref_sealed", sa.LargeBinary, nullable=False),
        sa.Column("referral_providers_sealed", sa.LargeBinary, nullable=False),
        sa.Column("notes_sealed", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_checkin_period", "checkin", ["period"])
    op.create_table(
        "checkin_month",
        sa.Column("period", sa.String(7), primary_key=True),
        sa.Column("vault_id", sa.String(36), sa.ForeignKey("vault.id"), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("schema_version", sa.Integer, nullable=False),
        sa.Column("entries_sealed", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "draft",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("vault_id", sa.String(36), sa.ForeignKey("vault.id"), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("schema_version", sa.Integer, nullable=False),
        sa.Column("payload_sealed", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "vault_secret",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("vault_id", sa.String(36), sa.ForeignKey("vault.id"), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("schema_version", sa.Integer, nullable=False),
        sa.Column("value_sealed", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("vault_secret")
    op.drop_table("draft")
    op.drop_table("checkin_month")
    op.drop_index("ix_checkin_period", "checkin")
    op.drop_table("checkin")
