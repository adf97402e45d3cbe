"""SQLAlchemy 2.0 models: who uses tepai, what they asked, and what went to a human."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

ROLE_ENTERPRISE = "enterprise"
ROLE_SPECIALIST = "specialist"
ROLE_STAFF = "staff"
ROLES = (ROLE_ENTERPRISE, ROLE_SPECIALIST, ROLE_STAFF)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: DateTime(timezone=True), dict[str, Any]: JSON, list[Any]: JSON}


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True, index=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    username: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(16))
    role: Mapped[str] = mapped_column(String(16), default=ROLE_ENTERPRISE)
    reachable: Mapped[bool] = mapped_column(Boolean, default=True)
    blocked_at: Mapped[datetime | None]
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"User(id={self.id}, telegram_id={self.telegram_id}, role={self.role!r})"


class StaffGrant(Base):
    """Staff added with `tepai staff add` (besides TEPAI_STAFF_IDS)."""

    __tablename__ = "staff_grants"

    telegram_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str | None] = mapped_column(String(200))

    def __repr__(self) -> str:
        return f"StaffGrant(telegram_id={self.telegram_id})"


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
    replied_by: Mapped[int | None] = mapped_column(BigInteger)
    replied_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    user: Mapped[User] = relationship(lazy="raise")
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
