"""Officers, every identifying field sealed.

Revision ID: 0002_officers
Revises: 0001_vault
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_officers"
down_revision = "0001_vault"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "officer",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("vault_id", sa.String(36), sa.ForeignKey("vault.id"), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("schema_version", sa.Integer, nullable=False),
        sa.Column("alias_sealed", sa.LargeBinary, nullable=False),
        sa.Column("full_name_sealed", sa.LargeBinary, nullable=False),
        sa.Column("contact_sealed", sa.LargeBinary, nullable=False),
        sa.Column("notes_sealed", sa.LargeBinary, nullable=False),
        sa.Column("notice_given_at_sealed", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("officer")
