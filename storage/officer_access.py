"""Officers' access: a one-time-code secret per officer, signed session tokens, their unit's subtree only."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlmodel import Session, col

from storage.audit import append_audit
from storage.errors import CodeRejected, InvalidPerson, NotAuthorised
from storage.models import Person, PersonRole, utcnow
from storage.people import decrypt_secret, encrypt_secret, get_person, matching_step, new_secret
from storage.units import descendant_codes, get_unit

OFFICER_SESSION_HOURS = 8


def _active_officer(person: Person) -> Person:
    if not person.active or person.role != PersonRole.officer:
        raise InvalidPerson(
            f"{person.name} (#{person.id}) is not an active officer: ask an administrator "
            "(bantin people add --role officer)",
            f"{person.name} (#{person.id}) không phải cán bộ theo dõi đang hoạt động: hãy liên hệ quản trị "
            "(bantin people add --role officer)",
        )
    return person


def issue_officer_secret(
    session: Session, person_ref: int | str, *, secret_key: bytes, actor: str = "cli"
) -> tuple[Person, str]:
    """A new TOTP secret for an officer (replacing any old one); returned once, stored encrypted."""
    person = _active_officer(get_person(session, person_ref))
    secret = new_secret()
    person.totp_secret_enc = encrypt_secret(secret, secret_key)
    person.totp_last_step = None
    session.add(person)
    session.flush()
    append_audit(
        session, actor=actor, action="secret_reissued", details={"person_id": person.id, "role": "officer"}
    )
    return person, secret


def verify_officer_code(
    session: Session, person_ref: int | str, code: str, *, secret_key: bytes, at: datetime | None = None
) -> Person:
    """The officer whose current code this is; wrong, stale and replayed codes are refused."""
    try:
        person = _active_officer(get_person(session, person_ref))
    except (InvalidPerson, ValueError):
        raise _rejected() from None
    if not person.totp_secret_enc:
        raise _rejected()
    step = matching_step(decrypt_secret(person.totp_secret_enc, secret_key), code or "", at)
    if step is None:
        raise _rejected()
    result = session.exec(  # type: ignore[call-overload]
        update(Person)
        .where(col(Person.id) == person.id, col(Person.active).is_(True))
        .where(or_(col(Person.totp_last_step).is_(None), col(Person.totp_last_step) < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise _rejected()
    session.refresh(person)
    return person


def _rejected() -> CodeRejected:
    # One message for every failure: a login form must not tell which officers exist.
    return CodeRejected(
        "the officer or the code is wrong, expired or already used: type the 6 digits your app shows now",
        "mã cán bộ hoặc mã xác thực sai, đã hết hạn hoặc đã dùng: hãy nhập 6 chữ số ứng dụng đang hiển thị",
    )


def _session_key(secret_key: bytes) -> bytes:
    return hmac.new(secret_key, b"bantin officer session v1", hashlib.sha256).digest()


def officer_session_token(person: Person, *, secret_key: bytes, now: datetime | None = None) -> str:
    """A signed token naming the officer and its expiry (kept in an HttpOnly cookie)."""
    expires = int(((now or utcnow()) + timedelta(hours=OFFICER_SESSION_HOURS)).timestamp())
    payload = f"{person.id}.{expires}"
    mac = hmac.new(_session_key(secret_key), payload.encode(), hashlib.sha256).digest()
    return f"{payload}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"


def officer_from_token(
    session: Session, token: str | None, *, secret_key: bytes, now: datetime | None = None
) -> Person:
    """The still-active officer a valid, unexpired token names; NotAuthorised otherwise."""
    refused = NotAuthorised(
        "sign in as an officer first (your session is missing or expired)",
        "hãy đăng nhập bằng tài khoản cán bộ (phiên làm việc không có hoặc đã hết hạn)",
    )
    parts = (token or "").split(".")
    if (
        len(parts) != 3
        or not all(p.isascii() for p in parts)
        or not parts[0].isdigit()
        or not parts[1].isdigit()
    ):
        raise refused
    payload = f"{parts[0]}.{parts[1]}"
    expected = base64.urlsafe_b64encode(
        hmac.new(_session_key(secret_key), payload.encode(), hashlib.sha256).digest()
    ).decode()
    if (
        not hmac.compare_digest(expected.rstrip("="), parts[2])
        or int(parts[1]) < (now or utcnow()).timestamp()
    ):
        raise refused
    person = session.get(Person, int(parts[0]))
    if person is None or not person.active or person.role != PersonRole.officer:
        raise refused
    return person


def check_officer_scope(session: Session, person: Person, unit_code: str) -> str:
    """The unit's code when it is the officer's unit or below it; NotAuthorised elsewhere."""
    unit = get_unit(session, unit_code)
    if unit.code not in descendant_codes(session, [person.unit_code]):
        raise NotAuthorised(
            f"{person.name} oversees {person.unit_code} and the units below it, not {unit.code}",
            f"{person.name} theo dõi đơn vị {person.unit_code} và các đơn vị trực thuộc, không phải {unit.code}",
        )
    return unit.code
