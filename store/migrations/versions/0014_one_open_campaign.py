"""at most one open campaign

Revision ID: 0014
Revises: 0010
Create Date: 2026-12-01 23:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0014'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Databases from before the rule may hold several open campaigns: keep the latest one open.
    op.execute("UPDATE campaigns SET status = 'closed', closed_at = CURRENT_TIMESTAMP WHERE status = 'open' "
               "AND year < (SELECT MAX(year) FROM campaigns WHERE status = 'open')")
    op.create_index('uq_campaigns_one_open', 'campaigns', ['status'], unique=True,
                    sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))


def downgrade() -> None:
    op.drop_index('uq_campaigns_one_open', table_name='campaigns')
