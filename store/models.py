"""SQLAlchemy 2.0 models: who uses tepai, what they asked, and what went to a human."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (JSON, BigInteger, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint, text)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

ROLE_ENTERPRISE = "enterprise"
ROLE_SPECIALIST = "specialist"
ROLE_STAFF = "staff"
ROLES = (ROLE_ENTERPRISE, ROLE_SPECIALIST, ROLE_STAFF)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator[datetime]):
    """A moment, aware and in UTC both ways on every backend. SQLite keeps no zone: without
    this a value read back is naive (comparing it with `utcnow()` raises), and one given in
    Beijing time would be stored as Beijing wall-clock time."""

    impl = DateTime(timezone=True)
    cache_ok = True

    @staticmethod
    def _utc(value: datetime | None) -> datetime | None:
        """Naive is taken as UTC (what SQLite hands back, and what every writer here means)."""
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        return self._utc(value)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return self._utc(value)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class User(Base):
    """A person: one record however many channels they reach tepai on (their `identities`).
    Everything else — answers, surveys, staff rights, deliveries — refers to this id."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    username: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(16))
    role: Mapped[str] = mapped_column(String(16), default=ROLE_ENTERPRISE)
    reachable: Mapped[bool] = mapped_column(Boolean, default=True)
    blocked_at: Mapped[datetime | None]
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)

    identities: Mapped[list[Identity]] = relationship(back_populates="user", lazy="raise")

    def __repr__(self) -> str:
        return f"User(id={self.id}, role={self.role!r})"


class Identity(Base):
    """Where a person is reached: a Telegram user id, a web visitor's session, … (store/identities.py).
    `last_seen` is None for an address known only from staff (a grant, an import) that has not
    written yet — such a person is addressable but not yet a bot user (no broadcasts)."""

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # telegram | web | terminal
    external_id: Mapped[str] = mapped_column(String(128))  # the channel's own id, as text
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="identities", lazy="raise")

    def __repr__(self) -> str:
        return f"Identity(user_id={self.user_id}, {self.channel}:{self.external_id})"


class StaffGrant(Base):
    """A person made staff with `tepai staff add` (besides TEPAI_STAFF_IDS)."""

    __tablename__ = "staff_grants"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str | None] = mapped_column(String(200))

    def __repr__(self) -> str:
        return f"StaffGrant(user_id={self.user_id})"


class QaRecord(Base):
    """One question and the answer tepai gave, with the asker's feedback."""

    __tablename__ = "qa_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    question: Mapped[str] = mapped_column(Text)
    answered: Mapped[bool] = mapped_column(Boolean)
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    best_score: Mapped[float] = mapped_column(Float, default=0.0)
    citations: Mapped[list[Any]] = mapped_column(JSON, default=list)
    draft: Mapped[bool] = mapped_column(Boolean, default=False)
    feedback: Mapped[str | None] = mapped_column(String(8))  # up | down
    feedback_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    user: Mapped[User] = relationship(lazy="raise")

    def __repr__(self) -> str:
        return f"QaRecord(id={self.id}, answered={self.answered}, feedback={self.feedback!r})"


class Handoff(Base):
    """A question for a human: unanswered by the documents, or the asker pressed 转人工."""

    __tablename__ = "handoffs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    qa_id: Mapped[int | None] = mapped_column(ForeignKey("qa_records.id"), unique=True)
    question: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(16))  # unanswered | requested
    best_score: Mapped[float] = mapped_column(Float, default=0.0)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open | replied
    reply_text: Mapped[str | None] = mapped_column(Text)
    replied_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # the staff member (a person)
    replied_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    user: Mapped[User] = relationship(lazy="raise", foreign_keys=[user_id])  # who asked
    forwards: Mapped[list[HandoffForward]] = relationship(back_populates="handoff", lazy="raise")

    def __repr__(self) -> str:
        return f"Handoff(id={self.id}, reason={self.reason!r}, status={self.status!r})"


class HandoffForward(Base):
    """Where a handoff was forwarded: a staff reply to that message goes back to the asker."""

    __tablename__ = "handoff_forwards"
    __table_args__ = (UniqueConstraint("staff_chat_id", "message_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id"), index=True)
    staff_chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)

    handoff: Mapped[Handoff] = relationship(back_populates="forwards", lazy="raise")

    def __repr__(self) -> str:
        return f"HandoffForward(handoff_id={self.handoff_id}, chat={self.staff_chat_id}, msg={self.message_id})"


class Campaign(Base):
    """A yearly demand survey (需求摸底调查); staff open and close it."""

    __tablename__ = "campaigns"
    # At most one open campaign, even when two staff open different years at the same moment.
    __table_args__ = (Index("uq_campaigns_one_open", "status", unique=True,
                            sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),)

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(String(8), default="open")  # open | closed
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"Campaign(year={self.year}, status={self.status!r})"


class Enterprise(Base):
    """One enterprise per unified social credit code; several Telegram users may speak for it."""

    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(120))
    district: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"Enterprise(id={self.id}, credit_code={self.credit_code!r})"


class EnterpriseMember(Base):
    """A person verified to speak for an enterprise: the only link between a person and an
    enterprise that is trusted (see store/membership.py). A pending claim is not a member."""

    __tablename__ = "enterprise_members"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)
    # founder (first to enter a code nobody holds) | member (a verified member approved) | staff
    via: Mapped[str] = mapped_column(String(16), default="founder", server_default="founder")
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    def __repr__(self) -> str:
        return f"EnterpriseMember(user_id={self.user_id}, enterprise_id={self.enterprise_id}, via={self.via!r})"


class EnterpriseClaim(Base):
    """Someone asking to speak for an enterprise that already exists (or is on the roster).
    Until a verified member or staff approve it, the claimant sees and changes nothing of the
    enterprise; their survey answers wait here, not as a submission."""

    __tablename__ = "enterprise_claims"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    campaign_year: Mapped[int | None] = mapped_column(Integer)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the claimant's own survey answers
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)  # pending | approved | refused | withdrawn
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_as: Mapped[str | None] = mapped_column(String(8))  # member | staff

    def __repr__(self) -> str:
        return f"EnterpriseClaim(id={self.id}, user_id={self.user_id}, enterprise_id={self.enterprise_id}, {self.status})"


class RecordChange(Base):
    """Who changed a shared record (an enterprise, a specialist) and how: the audit trail."""

    __tablename__ = "record_changes"
    __table_args__ = (Index("ix_record_changes_record", "record_type", "record_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_type: Mapped[str] = mapped_column(String(16))  # enterprise | specialist
    record_id: Mapped[int] = mapped_column(Integer)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the CLI or the system
    action: Mapped[str] = mapped_column(String(24))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"RecordChange({self.record_type}#{self.record_id}, {self.action!r}, by={self.actor_id})"


class SurveyDraft(Base):
    """A user's survey in progress: every answer is committed as it is given."""

    __tablename__ = "survey_drafts"
    __table_args__ = (UniqueConstraint("user_id", "campaign_year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    campaign_year: Mapped[int] = mapped_column(ForeignKey("campaigns.year"))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    step: Mapped[str] = mapped_column(String(32))  # the field being asked, "review", or "done"
    editing: Mapped[bool] = mapped_column(Boolean, default=False)  # came from the review step
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # in the dialogue (not /cancel-ed)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    reminded_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"SurveyDraft(user_id={self.user_id}, year={self.campaign_year}, step={self.step!r})"


class Submission(Base):
    """A confirmed survey. Resubmitting adds a version; the latest is current."""

    __tablename__ = "submissions"
    __table_args__ = (UniqueConstraint("enterprise_id", "campaign_year", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    campaign_year: Mapped[int] = mapped_column(ForeignKey("campaigns.year"), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    current: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    submitted_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    consent_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)

    enterprise: Mapped[Enterprise] = relationship(lazy="raise")

    def __repr__(self) -> str:
        return f"Submission(enterprise_id={self.enterprise_id}, year={self.campaign_year}, v{self.version})"


class Specialist(Base):
    """A 科技特派员 candidate: imported by staff, registered by dialogue, or nominated."""

    __tablename__ = "specialists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    institution: Mapped[str] = mapped_column(String(120))
    institution_type: Mapped[str | None] = mapped_column(String(16))
    title: Mapped[str | None] = mapped_column(String(40))
    field: Mapped[str] = mapped_column(String(40))
    expertise: Mapped[str] = mapped_column(Text)
    achievements: Mapped[str | None] = mapped_column(Text)
    capacity: Mapped[int] = mapped_column(Integer, default=1)
    phone: Mapped[str | None] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)  # the person, once known
    districts: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending | active | rejected
    source: Mapped[str] = mapped_column(String(16), default="import")  # import | registration | nomination
    # 企业自主申报: the enterprise (and its member) who nominated an expert it already works with.
    nominated_by: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    nominated_user: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    nomination_note: Mapped[str | None] = mapped_column(Text)  # the existing cooperation, in the enterprise's words
    # A registration whose mobile matches a nominated record: a claim to be that person, which
    # staff approve (merge) or set aside; the nominated record is untouched until then.
    claims_specialist_id: Mapped[int | None] = mapped_column(ForeignKey("specialists.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"Specialist(id={self.id}, external_id={self.external_id!r}, status={self.status!r})"


class _FormDraft:
    """A dialogue form in progress (one per person), committed per answer."""

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    step: Mapped[str] = mapped_column(String(32))
    editing: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(user_id={self.user_id}, step={self.step!r})"


class RegistrationDraft(_FormDraft, Base):
    """A specialist's registration in progress."""

    __tablename__ = "registration_drafts"


class NominationDraft(_FormDraft, Base):
    """An enterprise member's nomination of an expert in progress (one at a time)."""

    __tablename__ = "nomination_drafts"


class MatchRequest(Base):
    """An enterprise asking for one of its suggested specialists (staff follow up)."""

    __tablename__ = "match_requests"
    __table_args__ = (UniqueConstraint("enterprise_id", "campaign_year", "specialist_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    campaign_year: Mapped[int] = mapped_column(ForeignKey("campaigns.year"))
    specialist_key: Mapped[str] = mapped_column(String(64))  # the match index id (external id or S<id>)
    requested_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"MatchRequest(enterprise_id={self.enterprise_id}, specialist={self.specialist_key!r})"


class Engagement(Base):
    """One proposed pair (1 specialist + 1 enterprise) in a campaign, through to its answer."""

    __tablename__ = "engagements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_year: Mapped[int] = mapped_column(ForeignKey("campaigns.year"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    specialist_id: Mapped[int] = mapped_column(ForeignKey("specialists.id"), index=True)
    affinity: Mapped[float] = mapped_column(Float, default=0.0)
    alternates: Mapped[list[Any]] = mapped_column(JSON, default=list)  # specialist ids, best first
    # draft (in a proposal) | proposed (sent, waiting) | accepted | declined | expired | withdrawn (a conflict)
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    proposed_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]  # the invitation reached the specialist: the 72 h count from here
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"Engagement(id={self.id}, enterprise={self.enterprise_id}, specialist={self.specialist_id}, {self.status})"


class BlockedPair(Base):
    """A specialist who declined an enterprise, or a conflict staff entered: never proposed again."""

    __tablename__ = "blocked_pairs"

    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), primary_key=True)
    specialist_id: Mapped[int] = mapped_column(ForeignKey("specialists.id"), primary_key=True)
    reason: Mapped[str] = mapped_column(String(16))  # declined | expired | conflict
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"BlockedPair({self.enterprise_id}, {self.specialist_id}, {self.reason!r})"


class Project(Base):
    """The "1" cooperation project of 1+1+1, created when a specialist accepts."""

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagements.id"), unique=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    specialist_id: Mapped[int] = mapped_column(ForeignKey("specialists.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    start_date: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="active")

    def __repr__(self) -> str:
        return f"Project(id={self.id}, title={self.title!r}, status={self.status!r})"


class RosterEnterprise(Base):
    """A registered tech SME (入库科技型中小企业) from the official roster: the coverage denominator."""

    __tablename__ = "roster"

    credit_code: Mapped[str] = mapped_column(String(18), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    district: Mapped[str | None] = mapped_column(String(32))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"RosterEnterprise(credit_code={self.credit_code!r}, name={self.name!r})"


class Broadcast(Base):
    """A staff announcement to a segment. Composed (draft), then queued or scheduled; the sender
    works through its deliveries (sending) until done or cancelled."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # the staff member; None from the CLI
    text: Mapped[str] = mapped_column(Text, default="")  # Telegram HTML
    document_name: Mapped[str | None] = mapped_column(String(200))
    document_file_id: Mapped[str | None] = mapped_column(String(256))  # Telegram's, once uploaded
    document_path: Mapped[str | None] = mapped_column(String(1024))  # a file to upload (from the CLI)
    segment: Mapped[str] = mapped_column(String(80), default="all")  # see store/broadcasts.py SEGMENTS
    campaign_year: Mapped[int | None] = mapped_column(Integer)
    # draft | scheduled | queued | sending | done | cancelled
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    step: Mapped[str | None] = mapped_column(String(16))  # the composing dialogue's question
    scheduled_at: Mapped[datetime | None]
    status_chat_id: Mapped[int | None] = mapped_column(BigInteger)  # the progress message staff watch
    status_message_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"Broadcast(id={self.id}, segment={self.segment!r}, status={self.status!r})"


class Delivery(Base):
    """One message the bot owes someone — a broadcast's recipient, or (without a broadcast) an
    invitation, a contact exchange, a staff notice, a hand-off forward, a reminder… Written in
    the transaction of the decision that owes it; the one sender moves it
    queued → sending → sent / failed / unreachable (or cancelled). See store/outbox.py."""

    __tablename__ = "deliveries"
    # One delivery per person per broadcast, however many identities they have.
    __table_args__ = (UniqueConstraint("broadcast_id", "user_id"),
                      Index("ix_deliveries_broadcast_status", "broadcast_id", "status"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    broadcast_id: Mapped[int | None] = mapped_column(ForeignKey("broadcasts.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))  # the person owed the message
    # The address chosen when it was owed (store/identities.py `address_for`): its channel's
    # sender delivers it, reading the channel's id from the identity when it sends.
    identity_id: Mapped[int] = mapped_column(ForeignKey("identities.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    message_id: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # What is owed, for rows without a broadcast (a broadcast's rows take all this from it).
    kind: Mapped[str] = mapped_column(String(24), default="broadcast")
    text: Mapped[str | None] = mapped_column(Text)
    parse_mode: Mapped[str | None] = mapped_column(String(8))  # "HTML" or None (plain text)
    buttons: Mapped[list[Any] | None] = mapped_column(JSON)  # [[[label, callback_data], …], …]
    ref: Mapped[str | None] = mapped_column(String(64), index=True)  # e.g. "engagement:12", "handoff:3"
    key: Mapped[str | None] = mapped_column(String(120), unique=True)  # owed once, however often the decision runs
    batch: Mapped[str | None] = mapped_column(String(64), index=True)  # rows reported on together
    report_to: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # the person who hears how it (or its batch) ended
    owner: Mapped[str | None] = mapped_column(String(120))  # the sender process that claimed it
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    identity: Mapped[Identity] = relationship(lazy="raise")

    def __repr__(self) -> str:
        return f"Delivery(broadcast={self.broadcast_id}, kind={self.kind!r}, to={self.user_id}, {self.status})"


class SenderLease(Base):
    """Which process is the sender: one row, held by an owner until `expires_at`, renewed by its
    heartbeat. Only the holder sends, and only it recovers rows — another owner's, once expired."""

    __tablename__ = "sender_leases"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner: Mapped[str] = mapped_column(String(120))
    expires_at: Mapped[datetime]
    acquired_at: Mapped[datetime] = mapped_column(default=utcnow)
