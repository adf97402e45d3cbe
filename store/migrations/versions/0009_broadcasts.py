"""broadcasts and their deliveries

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('broadcasts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.BigInteger(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('document_name', sa.String(length=200), nullable=True),
    sa.Column('document_file_id', sa.String(length=256), nullable=True),
    sa.Column('document_path', sa.String(length=1024), nullable=True),
    sa.Column('segment', sa.String(length=80), nullable=False),
    sa.Column('campaign_year', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('step', sa.String(length=16), nullable=True),
    sa.Column('scheduled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status_chat_id', sa.BigInteger(), nullable=True),
    sa.Column('status_message_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_broadcasts_status'), 'broadcasts', ['status'], unique=False)
    op.create_table('deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('broadcast_id', sa.Integer(), nullable=False),
    sa.Column('telegram_id', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('error', sa.String(length=200), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['broadcast_id'], ['broadcasts.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('broadcast_id', 'telegram_id')
    )
    op.create_index('ix_deliveries_broadcast_status', 'deliveries', ['broadcast_id', 'status'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_deliveries_broadcast_status', table_name='deliveries')
    op.drop_table('deliveries')
    op.drop_index(op.f('ix_broadcasts_status'), table_name='broadcasts')
    op.drop_table('broadcasts')
