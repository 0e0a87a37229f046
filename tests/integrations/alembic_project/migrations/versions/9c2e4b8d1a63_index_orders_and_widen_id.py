"""index orders by account and widen orders.id (unsafe on a busy table)

Revision ID: 9c2e4b8d1a63
Revises: 5a1f0c3e2b7d
Create Date: 2026-02-03 14:05:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9c2e4b8d1a63"
down_revision: str | None = "5a1f0c3e2b7d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Blocks writes to orders while the index builds: should be postgresql_concurrently=True.
    op.create_index("ix_orders_account_id", "orders", ["account_id"])
    # Rewrites orders under ACCESS EXCLUSIVE: nothing reads or writes it meanwhile.
    op.alter_column("orders", "id", existing_type=sa.Integer(), type_=sa.BigInteger())


def downgrade() -> None:
    op.alter_column("orders", "id", existing_type=sa.BigInteger(), type_=sa.Integer())
    op.drop_index("ix_orders_account_id", table_name="orders")
