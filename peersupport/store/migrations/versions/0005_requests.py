"""Follow-up requests: the vault's public request key and the request inbox.

Revision ID: 0005_requests
Revises: 0004_followups
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_requests"
down_revision = "0004_followups"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "request_key",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("vault_id", sa.String(36), sa.ForeignKey("vault.id"), nullable=False),
        sa.Column("public_key", sa.LargeBinary, nullable=False),
        sa.Column("display_name", sa.String(80), nullable=False),
    )
    op.create_table(
        "follow_request",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("vault_id", sa.String(36), sa.ForeignKey("vault.id"), nullable=False),
        sa.Column("is_new", sa.Integer, nullable=False),
        sa.Column("envelope", sa.LargeBinary, nullable=True),
        sa.Column("key_id", sa.String(32), nullable=True),
        sa.Column("schema_version", sa.Integer, nullable=True),
        sa.Column("record_sealed", sa.LargeBinary, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("follow_request")
    op.drop_table("request_key")
