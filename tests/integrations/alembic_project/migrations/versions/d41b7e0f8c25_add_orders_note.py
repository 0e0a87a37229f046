"""add orders.note and index it concurrently (the safe way)

Revision ID: d41b7e0f8c25
Revises: 9c2e4b8d1a63
Create Date: 2026-02-20 10:45:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d41b7e0f8c25"
down_revision: str | None = "9c2e4b8d1a63"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("orders", sa.Column("note", sa.Text(), nullable=True))
    # CREATE INDEX CONCURRENTLY cannot run in a transaction block: commit around it.
    with op.get_context().autocommit_block():
        op.create_index(
            "ix_orders_note",
            "orders",
            ["note"],
            postgresql_concurrently=True,
            if_not_exists=True,
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index(
            "ix_orders_note", table_name="orders", postgresql_concurrently=True, if_exists=True
        )
    op.drop_column("orders", "note")
