"""who composed a broadcast and who answered a hand-off: the person, not a Telegram id

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 06:40:00

0015 made staff rights and deliveries refer to the person; two records of what staff did still
held the Telegram id of whoever did it: `broadcasts.created_by` and `handoffs.replied_by`. Each
becomes the id of the person with that Telegram identity (a person is made, never heard from, for
an id tepai knows only from these columns). NULL stays NULL (a broadcast from the CLI).
"""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

TELEGRAM = 'telegram'
# (table, column, foreign key name)
COLUMNS = (('broadcasts', 'created_by', 'fk_broadcasts_created_by_users'),
           ('handoffs', 'replied_by', 'fk_handoffs_replied_by_users'))

_users = sa.table('users', sa.column('id', sa.Integer), sa.column('display_name', sa.String),
                  sa.column('role', sa.String), sa.column('reachable', sa.Boolean),
                  sa.column('first_seen', sa.DateTime(timezone=True)), sa.column('last_seen', sa.DateTime(timezone=True)))
_identities = sa.table('identities', sa.column('id', sa.Integer), sa.column('user_id', sa.Integer),
                       sa.column('channel', sa.String), sa.column('external_id', sa.String),
                       sa.column('created_at', sa.DateTime(timezone=True)),
                       sa.column('last_seen', sa.DateTime(timezone=True)))


def _people_for(bind, telegram_ids: set[int]) -> dict[int, int]:  # type: ignore[no-untyped-def]
    """Telegram id → person id, making a person (never heard from) for an id nobody has."""
    now = datetime.now(timezone.utc)
    known = {int(ext): uid for uid, ext in bind.execute(
        sa.select(_identities.c.user_id, _identities.c.external_id).where(_identities.c.channel == TELEGRAM)).all()}
    for tid in sorted(telegram_ids - known.keys()):
        uid = bind.execute(_users.insert().values(display_name='', role='enterprise', reachable=True,
                                                  first_seen=now, last_seen=now).returning(_users.c.id)).scalar_one()
        bind.execute(_identities.insert().values(user_id=uid, channel=TELEGRAM, external_id=str(tid),
                                                 created_at=now, last_seen=None))
        known[tid] = uid
    return known


def upgrade() -> None:
    bind = op.get_bind()
    for table, column, fk in COLUMNS:
        t = sa.table(table, sa.column('id', sa.Integer), sa.column(column, sa.BigInteger),
                     sa.column('person', sa.Integer))
        rows = bind.execute(sa.select(t.c.id, t.c[column]).where(t.c[column].is_not(None))).all()
        people = _people_for(bind, {int(v) for _, v in rows})
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('person', sa.Integer(), nullable=True))
        for row_id, tid in rows:
            bind.execute(t.update().where(t.c.id == row_id).values(person=people[int(tid)]))
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)
        with op.batch_alter_table(table) as batch:
            batch.alter_column('person', new_column_name=column, existing_type=sa.Integer(), nullable=True)
        with op.batch_alter_table(table) as batch:
            batch.create_foreign_key(fk, 'users', [column], ['id'])


def downgrade() -> None:
    """Back to Telegram ids: each person's Telegram identity (NULL for a person without one)."""
    bind = op.get_bind()
    telegram = {uid: int(ext) for uid, ext in bind.execute(
        sa.select(_identities.c.user_id, _identities.c.external_id).where(_identities.c.channel == TELEGRAM)
        .order_by(_identities.c.id.desc())).all()}
    for table, column, fk in COLUMNS:
        t = sa.table(table, sa.column('id', sa.Integer), sa.column(column, sa.Integer),
                     sa.column('chat', sa.BigInteger))
        rows = bind.execute(sa.select(t.c.id, t.c[column]).where(t.c[column].is_not(None))).all()
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('chat', sa.BigInteger(), nullable=True))
        for row_id, uid in rows:
            bind.execute(t.update().where(t.c.id == row_id).values(chat=telegram.get(int(uid))))
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(fk, type_='foreignkey')
            batch.drop_column(column)
        with op.batch_alter_table(table) as batch:
            batch.alter_column('chat', new_column_name=column, existing_type=sa.BigInteger(), nullable=True)
