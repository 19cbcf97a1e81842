"""Vault row and key slots.

Revision ID: 0001_vault
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_vault"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "vault",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("format_version", sa.Integer, nullable=False),
        sa.Column("created_period", sa.String(7), nullable=False),
        sa.Column("current_key_id", sa.String(32), nullable=False),
        sa.Column("notice_text", sa.Text, nullable=False),
    )
    op.create_table(
        "key_slot",
        sa.Column("slot", sa.String(16), primary_key=True),
        sa.Column("vault_id", sa.String(36), sa.ForeignKey("vault.id"), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("schema_version", sa.Integer, nullable=False),
        sa.Column("kdf_algorithm", sa.String(16), nullable=False),
        sa.Column("kdf_memory_kib", sa.Integer, nullable=False),
        sa.Column("kdf_iterations", sa.Integer, nullable=False),
        sa.Column("kdf_lanes", sa.Integer, nullable=False),
        sa.Column("kdf_salt", sa.LargeBinary, nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("key_slot")
    op.drop_table("vault")
