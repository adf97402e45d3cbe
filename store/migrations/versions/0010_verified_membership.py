"""verified enterprise membership, join claims, nominee merge claims, audit trail

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 23:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('enterprise_members') as batch:
        batch.add_column(sa.Column('via', sa.String(length=16), server_default='founder', nullable=False))
        batch.add_column(sa.Column('approved_by', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_enterprise_members_approved_by_users', 'users', ['approved_by'], ['id'])
    with op.batch_alter_table('specialists') as batch:
        batch.add_column(sa.Column('claims_specialist_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_specialists_claims_specialist_id', 'specialists', ['claims_specialist_id'], ['id'])
    op.create_table('enterprise_claims',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('campaign_year', sa.Integer(), nullable=True),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_as', sa.String(length=8), nullable=True),
    sa.ForeignKeyConstraint(['decided_by'], ['users.id'], ),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_enterprise_claims_enterprise_id'), 'enterprise_claims', ['enterprise_id'], unique=False)
    op.create_index(op.f('ix_enterprise_claims_status'), 'enterprise_claims', ['status'], unique=False)
    op.create_index(op.f('ix_enterprise_claims_user_id'), 'enterprise_claims', ['user_id'], unique=False)
    op.create_table('record_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_type', sa.String(length=16), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=24), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_record_changes_record', 'record_changes', ['record_type', 'record_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_record_changes_record', table_name='record_changes')
    op.drop_table('record_changes')
    op.drop_index(op.f('ix_enterprise_claims_user_id'), table_name='enterprise_claims')
    op.drop_index(op.f('ix_enterprise_claims_status'), table_name='enterprise_claims')
    op.drop_index(op.f('ix_enterprise_claims_enterprise_id'), table_name='enterprise_claims')
    op.drop_table('enterprise_claims')
    with op.batch_alter_table('specialists') as batch:
        batch.drop_constraint('fk_specialists_claims_specialist_id', type_='foreignkey')
        batch.drop_column('claims_specialist_id')
    with op.batch_alter_table('enterprise_members') as batch:
        batch.drop_constraint('fk_enterprise_members_approved_by_users', type_='foreignkey')
        batch.drop_column('approved_by')
        batch.drop_column('via')
