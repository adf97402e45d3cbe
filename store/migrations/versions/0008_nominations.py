"""nominations: experts an enterprise already works with (企业自主申报)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 23:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('nomination_drafts',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('step', sa.String(length=32), nullable=False),
    sa.Column('editing', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('user_id')
    )
    with op.batch_alter_table('specialists') as batch:
        batch.add_column(sa.Column('nominated_by', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('nominated_user', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('nomination_note', sa.Text(), nullable=True))
        batch.create_foreign_key('fk_specialists_nominated_by', 'enterprises', ['nominated_by'], ['id'])
        batch.create_foreign_key('fk_specialists_nominated_user', 'users', ['nominated_user'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('specialists') as batch:
        batch.drop_constraint('fk_specialists_nominated_user', type_='foreignkey')
        batch.drop_constraint('fk_specialists_nominated_by', type_='foreignkey')
        batch.drop_column('nomination_note')
        batch.drop_column('nominated_user')
        batch.drop_column('nominated_by')
    op.drop_table('nomination_drafts')
