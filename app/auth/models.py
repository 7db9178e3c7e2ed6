"""Staff users and their roles."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.database import Base, utcnow
from app.extensions import db

if TYPE_CHECKING:
    from app.councils.models import Council


class Role(enum.StrEnum):
    admin = "admin"
    secretariat = "secretariat"
    official = "official"
    publisher = "publisher"


#: Councils a secretariat user works for (their scope).
user_council = Table(
    "user_council",
    Base.metadata,
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    Column("council_id", ForeignKey("council.id", ondelete="CASCADE"), primary_key=True),
)


def _new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[Role]
    #: argon2id hash (PHC string).
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    #: Preferred interface language; NULL means the browser's preference.
    language: Mapped[str | None] = mapped_column(String(8))
    #: Identifies the user's sessions; rotating it signs out every session of the user.
    session_token: Mapped[str] = mapped_column(String(64), unique=True, default=_new_session_token)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    councils: Mapped[list[Council]] = relationship(
        secondary=user_council, back_populates="staff", order_by="Council.name"
    )
    #: The TOTP second factor; None while not set up.
    second_factor: Mapped[SecondFactor | None] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )
    recovery_codes: Mapped[list[RecoveryCode]] = relationship(
        back_populates="user",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="RecoveryCode.id",
    )

    # Flask-Login protocol
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return self.session_token

    def rotate_session_token(self) -> None:
        """Invalidate every existing session of this user."""
        self.session_token = _new_session_token()

    def has_role(self, *roles: Role | str) -> bool:
        return self.role in {Role(r) for r in roles}

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"


class SecondFactor(db.Model):
    """A staff member's TOTP authenticator (RFC 6238), confirmed with a code at enrolment."""

    __tablename__ = "second_factor"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    #: The shared secret, encrypted with MFA_KEY (``app.auth.mfa.seal``); never shown again.
    secret: Mapped[str] = mapped_column(String(200))
    enrolled_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The last time step (Unix seconds // 30) whose code was accepted: a code of this step
    #: or an earlier one is refused, so that no code serves twice.
    last_step: Mapped[int] = mapped_column(BigInteger, default=0)

    user: Mapped[User] = relationship(back_populates="second_factor")


class RecoveryCode(db.Model):
    """A one-time code that stands in for a TOTP code once (lost phone)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: argon2id hash of the code (like a password).
    code_hash: Mapped[str] = mapped_column(String(255))
    #: A keyed 16-bit tag of the code (``app.auth.mfa``), so that a code entered is checked
    #: against one hash, not all ten; it alone says next to nothing about the code.
    lookup: Mapped[str] = mapped_column(String(8))
    #: When it was used up; None while it may still be used.
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="recovery_codes")
