"""outbox: deliveries without a broadcast, the sender lease, invitations' delivery time

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-01 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('deliveries') as batch:
        batch.alter_column('broadcast_id', existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column('kind', sa.String(length=24), nullable=False, server_default='broadcast'))
        batch.add_column(sa.Column('text', sa.Text(), nullable=True))
        batch.add_column(sa.Column('parse_mode', sa.String(length=8), nullable=True))
        batch.add_column(sa.Column('buttons', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('ref', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('key', sa.String(length=120), nullable=True))
        batch.add_column(sa.Column('batch', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('report_to', sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column('owner', sa.String(length=120), nullable=True))
        batch.add_column(sa.Column('created_at', sa.DateTime(timezone=True), nullable=False,
                                   server_default=sa.func.current_timestamp()))
        batch.add_column(sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True))
        batch.create_index(batch.f('ix_deliveries_ref'), ['ref'], unique=False)
        batch.create_index(batch.f('ix_deliveries_batch'), ['batch'], unique=False)
        batch.create_unique_constraint(batch.f('uq_deliveries_key'), ['key'])
    op.create_table('sender_leases',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('owner', sa.String(length=120), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acquired_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    with op.batch_alter_table('engagements') as batch:
        batch.add_column(sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True))
    # Invitations already out were sent as far as the old sender knew: their 72 h keep counting.
    op.execute("UPDATE engagements SET delivered_at = proposed_at WHERE status = 'proposed'")


def downgrade() -> None:
    with op.batch_alter_table('engagements') as batch:
        batch.drop_column('delivered_at')
    op.drop_table('sender_leases')
    op.execute("DELETE FROM deliveries WHERE broadcast_id IS NULL")
    with op.batch_alter_table('deliveries') as batch:
        batch.drop_constraint(batch.f('uq_deliveries_key'), type_='unique')
        batch.drop_index(batch.f('ix_deliveries_batch'))
        batch.drop_index(batch.f('ix_deliveries_ref'))
        for column in ('sent_at', 'created_at', 'owner', 'report_to', 'batch', 'key', 'ref', 'buttons',
                       'parse_mode', 'text', 'kind'):
            batch.drop_column(column)
        batch.alter_column('broadcast_id', existing_type=sa.Integer(), nullable=False)
