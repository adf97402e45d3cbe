"""people and their channel identities: staff grants, deliveries and specialists refer to the person

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 02:30:00

Until now a person *was* a Telegram id. Every `users.telegram_id` becomes a Telegram identity
of that user (heard from: its last-seen is the user's). A Telegram id tepai knew only from staff
— a grant, an imported specialist, a delivery or report address — who never wrote to the bot
gets a person with that identity, never heard from (so, as before, no broadcasts reach them).
Staff grants, deliveries (person + the identity addressed; `report_to` a person) and
specialists are re-pointed; nothing else changes meaning.
"""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

TELEGRAM = 'telegram'

_users = sa.table('users', sa.column('id', sa.Integer), sa.column('telegram_id', sa.BigInteger),
                  sa.column('display_name', sa.String), sa.column('role', sa.String),
                  sa.column('reachable', sa.Boolean), sa.column('first_seen', sa.DateTime(timezone=True)),
                  sa.column('last_seen', sa.DateTime(timezone=True)))
_identities = sa.table('identities', sa.column('id', sa.Integer), sa.column('user_id', sa.Integer),
                       sa.column('channel', sa.String), sa.column('external_id', sa.String),
                       sa.column('created_at', sa.DateTime(timezone=True)),
                       sa.column('last_seen', sa.DateTime(timezone=True)))
_grants = sa.table('staff_grants', sa.column('telegram_id', sa.BigInteger), sa.column('user_id', sa.Integer),
                   sa.column('added_at', sa.DateTime(timezone=True)), sa.column('note', sa.String))
_deliveries = sa.table('deliveries', sa.column('id', sa.Integer), sa.column('telegram_id', sa.BigInteger),
                       sa.column('user_id', sa.Integer), sa.column('identity_id', sa.Integer),
                       sa.column('report_to', sa.BigInteger), sa.column('report_person', sa.Integer))
_specialists = sa.table('specialists', sa.column('telegram_id', sa.BigInteger), sa.column('user_id', sa.Integer))


def upgrade() -> None:
    bind = op.get_bind()
    now = datetime.now(timezone.utc)
    op.create_table('identities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('external_id', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('channel', 'external_id')
    )
    op.create_index(op.f('ix_identities_user_id'), 'identities', ['user_id'], unique=False)

    # Every user's Telegram id: their identity, heard from when they were last seen.
    people: dict[int, int] = {}
    rows = bind.execute(sa.select(_users.c.id, _users.c.telegram_id, _users.c.first_seen, _users.c.last_seen)
                        .order_by(_users.c.id)).all()
    if rows:
        bind.execute(_identities.insert(), [
            {'user_id': uid, 'channel': TELEGRAM, 'external_id': str(tid), 'created_at': first or now,
             'last_seen': last or first or now} for uid, tid, first, last in rows])
    people.update({int(tid): uid for uid, tid, _, _ in rows})

    # Telegram ids known only from staff: a person each, never heard from.
    referenced: set[int] = set()
    for column in (_grants.c.telegram_id, _deliveries.c.telegram_id, _deliveries.c.report_to,
                   _specialists.c.telegram_id):
        referenced.update(int(t) for t in bind.execute(sa.select(column).where(column.is_not(None)).distinct()).scalars())
    for tid in sorted(referenced - people.keys()):
        uid = bind.execute(_users.insert().values(telegram_id=tid, display_name='', role='enterprise', reachable=True,
                                                  first_seen=now, last_seen=now).returning(_users.c.id)).scalar_one()
        bind.execute(_identities.insert().values(user_id=uid, channel=TELEGRAM, external_id=str(tid),
                                                 created_at=now, last_seen=None))
        people[tid] = uid
    addresses = dict(bind.execute(sa.select(_identities.c.user_id, _identities.c.id)).all())

    # Staff rights belong to the person (the key changes, so the table is rebuilt).
    grants = bind.execute(sa.select(_grants.c.telegram_id, _grants.c.added_at, _grants.c.note)).all()
    op.drop_table('staff_grants')
    op.create_table('staff_grants',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('user_id')
    )
    if grants:
        bind.execute(_grants.insert(), [{'user_id': people[int(tid)], 'added_at': added, 'note': note}
                                        for tid, added, note in grants])

    # Deliveries: to a person at the identity that was addressed; reports to a person.
    with op.batch_alter_table('deliveries') as batch:
        batch.add_column(sa.Column('user_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('identity_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('report_person', sa.Integer(), nullable=True))
    for tid in bind.execute(sa.select(_deliveries.c.telegram_id).distinct()).scalars():
        uid = people[int(tid)]
        bind.execute(_deliveries.update().where(_deliveries.c.telegram_id == tid)
                     .values(user_id=uid, identity_id=addresses[uid]))
    for tid in bind.execute(sa.select(_deliveries.c.report_to).where(_deliveries.c.report_to.is_not(None))
                            .distinct()).scalars():
        bind.execute(_deliveries.update().where(_deliveries.c.report_to == tid).values(report_person=people[int(tid)]))
    with op.batch_alter_table('deliveries') as batch:
        batch.drop_column('telegram_id')  # and the unique (broadcast_id, telegram_id) with it
        batch.drop_column('report_to')
    with op.batch_alter_table('deliveries') as batch:
        batch.alter_column('report_person', new_column_name='report_to', existing_type=sa.Integer())
    with op.batch_alter_table('deliveries') as batch:
        batch.alter_column('user_id', existing_type=sa.Integer(), nullable=False)
        batch.alter_column('identity_id', existing_type=sa.Integer(), nullable=False)
        batch.create_unique_constraint('uq_deliveries_broadcast_id_user_id', ['broadcast_id', 'user_id'])
        batch.create_index(batch.f('ix_deliveries_identity_id'), ['identity_id'], unique=False)
        batch.create_foreign_key('fk_deliveries_user_id_users', 'users', ['user_id'], ['id'])
        batch.create_foreign_key('fk_deliveries_identity_id_identities', 'identities', ['identity_id'], ['id'])
        batch.create_foreign_key('fk_deliveries_report_to_users', 'users', ['report_to'], ['id'])

    # Specialists: linked to a person.
    with op.batch_alter_table('specialists') as batch:
        batch.add_column(sa.Column('user_id', sa.Integer(), nullable=True))
    for tid in bind.execute(sa.select(_specialists.c.telegram_id).where(_specialists.c.telegram_id.is_not(None))
                            .distinct()).scalars():
        bind.execute(_specialists.update().where(_specialists.c.telegram_id == tid).values(user_id=people[int(tid)]))
    with op.batch_alter_table('specialists') as batch:
        batch.drop_index('ix_specialists_telegram_id')
        batch.drop_column('telegram_id')
        batch.create_index(batch.f('ix_specialists_user_id'), ['user_id'], unique=False)
        batch.create_foreign_key('fk_specialists_user_id_users', 'users', ['user_id'], ['id'])

    # The person no longer is a Telegram id.
    with op.batch_alter_table('users') as batch:
        batch.drop_index('ix_users_telegram_id')
        batch.drop_column('telegram_id')


def downgrade() -> None:
    """Back to one Telegram id per user: each person's Telegram identity (the first, if several).
    Deliveries to an identity on another channel, and people without a Telegram identity who are
    referenced nowhere, cannot be expressed before 0015 and are dropped."""
    bind = op.get_bind()
    telegram = {uid: int(ext) for uid, ext in bind.execute(
        sa.select(_identities.c.user_id, _identities.c.external_id).where(_identities.c.channel == TELEGRAM)
        .order_by(_identities.c.id.desc())).all()}
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('telegram_id', sa.BigInteger(), nullable=True))
    for uid, tid in telegram.items():
        bind.execute(_users.update().where(_users.c.id == uid).values(telegram_id=tid))
    with op.batch_alter_table('specialists') as batch:
        batch.add_column(sa.Column('telegram_id', sa.BigInteger(), nullable=True))
    for uid, tid in telegram.items():
        bind.execute(_specialists.update().where(_specialists.c.user_id == uid).values(telegram_id=tid))
    with op.batch_alter_table('specialists') as batch:
        batch.drop_constraint('fk_specialists_user_id_users', type_='foreignkey')
        batch.drop_index(batch.f('ix_specialists_user_id'))
        batch.drop_column('user_id')
        batch.create_index('ix_specialists_telegram_id', ['telegram_id'], unique=False)
    bind.execute(sa.text("DELETE FROM deliveries WHERE identity_id NOT IN "
                         "(SELECT id FROM identities WHERE channel = 'telegram')"))
    with op.batch_alter_table('deliveries') as batch:
        batch.add_column(sa.Column('telegram_id', sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column('report_chat', sa.BigInteger(), nullable=True))
    chats = dict(bind.execute(sa.select(_identities.c.id, _identities.c.external_id)
                              .where(_identities.c.channel == TELEGRAM)).all())
    for identity_id, chat in chats.items():
        bind.execute(_deliveries.update().where(_deliveries.c.identity_id == identity_id).values(telegram_id=int(chat)))
    deliveries = sa.table('deliveries', sa.column('report_to', sa.Integer), sa.column('report_chat', sa.BigInteger))
    for uid, tid in telegram.items():
        bind.execute(deliveries.update().where(deliveries.c.report_to == uid).values(report_chat=tid))
    with op.batch_alter_table('deliveries') as batch:
        for name in ('fk_deliveries_report_to_users', 'fk_deliveries_identity_id_identities',
                     'fk_deliveries_user_id_users'):
            batch.drop_constraint(name, type_='foreignkey')
        batch.drop_constraint('uq_deliveries_broadcast_id_user_id', type_='unique')
        batch.drop_index(batch.f('ix_deliveries_identity_id'))
        batch.drop_column('report_to')
        batch.drop_column('identity_id')
        batch.drop_column('user_id')
    with op.batch_alter_table('deliveries') as batch:
        batch.alter_column('report_chat', new_column_name='report_to', existing_type=sa.BigInteger())
        batch.alter_column('telegram_id', existing_type=sa.BigInteger(), nullable=False)
        batch.create_unique_constraint('uq_deliveries_broadcast_id_telegram_id', ['broadcast_id', 'telegram_id'])
    grants = bind.execute(sa.select(_grants.c.user_id, _grants.c.added_at, _grants.c.note)).all()
    op.drop_table('staff_grants')
    op.create_table('staff_grants',
    sa.Column('telegram_id', sa.BigInteger(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('telegram_id')
    )
    kept = [{'telegram_id': telegram[uid], 'added_at': added, 'note': note} for uid, added, note in grants
            if uid in telegram]
    if kept:
        bind.execute(_grants.insert(), kept)
    # Before 0015 a user was someone who had written: people only staff named, whom nothing
    # else refers to now, go (as do people without a Telegram identity, who cannot be expressed).
    heard = set(bind.execute(sa.select(_identities.c.user_id).where(_identities.c.last_seen.is_not(None))).scalars())
    referenced: set[int] = set()
    inspector = sa.inspect(bind)
    for table in inspector.get_table_names():
        for fk in inspector.get_foreign_keys(table):
            if fk['referred_table'] == 'users' and table != 'identities':
                column = sa.column(fk['constrained_columns'][0])
                referenced.update(bind.execute(sa.select(column).select_from(sa.table(table))
                                               .where(column.is_not(None))).scalars())
    op.drop_index(op.f('ix_identities_user_id'), table_name='identities')
    op.drop_table('identities')
    for uid in bind.execute(sa.select(_users.c.id)).scalars().all():
        if (uid not in heard and uid not in referenced) or uid not in telegram:
            bind.execute(_users.delete().where(_users.c.id == uid))
    with op.batch_alter_table('users') as batch:
        batch.alter_column('telegram_id', existing_type=sa.BigInteger(), nullable=False)
        batch.create_index('ix_users_telegram_id', ['telegram_id'], unique=True)
