"""People and their authority: who belongs to which unit, reviewers' one-time codes (RFC 6238)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import struct
import unicodedata
from datetime import datetime
from urllib.parse import quote, urlencode

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from storage.audit import append_audit
from storage.errors import CodeRejected, InvalidPerson, NotAuthorised, SecretKeyMismatch, UnknownPerson
from storage.models import Person, PersonRole, utcnow
from storage.units import ancestor_codes, get_unit

TOTP_STEP_SECONDS = 30
TOTP_DIGITS = 6
TOTP_DRIFT_STEPS = 1
_LABEL_ID = re.compile(r"\(#(\d+)\)\s*$")


# --- RFC 6238 one-time codes -------------------------------------------------------------------


def hotp(key: bytes, counter: int, *, digits: int = TOTP_DIGITS) -> str:
    """RFC 4226 HOTP with HMAC-SHA-1: the code for one counter value."""
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    number = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def _secret_bytes(secret: str) -> bytes:
    cleaned = secret.replace(" ", "").upper()
    return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))


def time_step(at: datetime | None = None) -> int:
    """The RFC 6238 time step (30 s since the Unix epoch) of ``at`` (now by default)."""
    return int((at or utcnow()).timestamp()) // TOTP_STEP_SECONDS


def totp_code(secret: str, at: datetime | None = None, *, digits: int = TOTP_DIGITS) -> str:
    """The RFC 6238 code (SHA-1, 30 s steps) of a base32 secret at ``at`` (now by default)."""
    return hotp(_secret_bytes(secret), time_step(at), digits=digits)


def matching_step(secret: str, code: str, at: datetime | None = None) -> int | None:
    """The time step within ±1 of ``at`` whose code is ``code``, newest first; None if none."""
    code = code.strip()
    if not (code.isdigit() and len(code) == TOTP_DIGITS):
        return None
    key, now = _secret_bytes(secret), time_step(at)
    for step in range(now + TOTP_DRIFT_STEPS, now - TOTP_DRIFT_STEPS - 1, -1):
        if hmac.compare_digest(hotp(key, step), code):
            return step
    return None


def new_secret() -> str:
    """A fresh 160-bit base32 TOTP secret (what authenticator apps expect)."""
    return base64.b32encode(secrets.token_bytes(20)).decode()


def totp_uri(person: Person, secret: str, *, issuer: str = "bantin") -> str:
    """The otpauth:// URI an authenticator app reads (from a QR code or typed in)."""
    label = quote(f"{issuer}:{person.name} #{person.id}")
    query = urlencode(
        {"secret": secret, "issuer": issuer, "algorithm": "SHA1", "digits": TOTP_DIGITS, "period": 30}
    )
    return f"otpauth://totp/{label}?{query}"


# --- secrets at rest ---------------------------------------------------------------------------


def _fernet(secret_key: bytes):  # type: ignore[no-untyped-def]
    from cryptography.fernet import Fernet
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    if not secret_key:
        raise SecretKeyMismatch(
            "no secret key is set: set BANTIN_SECRET_KEY or let bantin create its key file in the data dir",
            "chưa có khóa bí mật: hãy đặt BANTIN_SECRET_KEY hoặc để bantin tạo tệp khóa trong thư mục dữ liệu",
        )
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"bantin-totp").derive(secret_key)
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt_secret(secret: str, secret_key: bytes) -> str:
    """A TOTP secret encrypted for storage (Fernet, key derived from the settings' secret key)."""
    return _fernet(secret_key).encrypt(secret.encode()).decode()


def decrypt_secret(token: str, secret_key: bytes) -> str:
    """The stored TOTP secret in clear; SecretKeyMismatch if it was stored under another key."""
    from cryptography.fernet import InvalidToken

    try:
        return _fernet(secret_key).decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretKeyMismatch(
            "reviewers' code secrets were stored with another secret key: set BANTIN_SECRET_KEY (or the data "
            "dir's secret.key) back to the key in use when they were added, or re-issue each secret "
            "(bantin people reissue NAME)",
            "mã bí mật của người duyệt được lưu bằng một khóa khác: hãy đặt lại BANTIN_SECRET_KEY (hoặc tệp "
            "secret.key trong thư mục dữ liệu) đúng khóa đã dùng khi thêm họ, hoặc cấp lại mã "
            "(bantin people reissue TÊN)",
        ) from None


# --- people ------------------------------------------------------------------------------------


def clean_name(name: str) -> str:
    """A name as stored and looked up: NFC, no control or zero-width characters, single spaces."""
    text = unicodedata.normalize("NFC", name or "")
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return " ".join(text.split())


def _clean_name(name: str) -> str:
    cleaned = clean_name(name)
    if not cleaned:
        raise InvalidPerson(
            "the name is empty: give the person's full name",
            "tên trống: hãy nhập họ và tên đầy đủ",
        )
    if len(cleaned) > 200:
        raise InvalidPerson("the name is longer than 200 characters", "tên dài quá 200 ký tự")
    return cleaned


def _role(role: PersonRole | str) -> PersonRole:
    try:
        return PersonRole(str(role).strip().lower())
    except ValueError:
        known = ", ".join(r.value for r in PersonRole)
        raise InvalidPerson(
            f"unknown role {role!r}; choose one of: {known}",
            f"vai trò {role!r} không hợp lệ; hãy chọn một trong: {known}",
        ) from None


def add_person(
    session: Session,
    *,
    name: str,
    unit_code: str,
    role: PersonRole | str,
    office: str = "",
    emergency: bool = False,
    secret_key: bytes,
    actor: str = "cli",
) -> tuple[Person, str | None]:
    """Add someone to a unit; a reviewer gets a TOTP secret, returned here once and never again."""
    person_role = _role(role)
    clean = _clean_name(name)
    unit = get_unit(session, (unit_code or "").strip())
    if emergency and person_role != PersonRole.reviewer:
        raise InvalidPerson(
            "only a reviewer can be pre-authorised for emergencies (--emergency needs --role reviewer)",
            "chỉ người duyệt mới được ủy quyền duyệt tin khẩn cấp (--emergency cần --role reviewer)",
        )
    office = clean_name(office)
    if len(office) > 200:
        raise InvalidPerson("the office is longer than 200 characters", "chức vụ dài quá 200 ký tự")
    secret = new_secret() if person_role == PersonRole.reviewer else None
    person = Person(
        name=clean,
        unit_code=unit.code,
        role=person_role,
        office=office,
        emergency=emergency,
        totp_secret_enc=encrypt_secret(secret, secret_key) if secret else "",
    )
    session.add(person)
    session.flush()
    append_audit(
        session,
        actor=actor,
        action="person_added",
        details={
            "person_id": person.id,
            "name": person.name,
            "unit": person.unit_code,
            "role": person.role.value,
            "office": person.office,
            "emergency": person.emergency,
        },
    )
    return person, secret


def get_person(session: Session, ref: int | str) -> Person:
    """A person by id (``12``, ``#12``, a form label ending ``(#12)``) or exact name; else UnknownPerson."""
    text = str(ref).strip()
    match = _LABEL_ID.search(text)
    number = match.group(1) if match else text.removeprefix("#")
    if isinstance(ref, int) or number.isdigit():
        person = session.get(Person, int(number))
        if person is not None:
            return person
    name = clean_name(text)
    found = list(session.exec(select(Person).where(Person.name == name).order_by(col(Person.id))).all())
    active = [p for p in found if p.active] or found
    if len(active) == 1:
        return active[0]
    if len(active) > 1:
        ids = ", ".join(f"#{p.id} ({p.office or p.unit_code})" for p in active)
        raise UnknownPerson(
            f"{len(active)} people are named {name!r}: give the id instead: {ids}",
            f"có {len(active)} người tên {name!r}: hãy dùng mã số: {ids}",
        )
    raise UnknownPerson(
        f"no person {text!r}: see bantin people list",
        f"không có người nào là {text!r}: xem bantin people list",
    )


def list_people(
    session: Session,
    *,
    unit_code: str | None = None,
    role: PersonRole | str | None = None,
    include_revoked: bool = False,
) -> list[Person]:
    """People in the order they were added; revoked ones only when asked."""
    query = select(Person)
    if unit_code:
        query = query.where(Person.unit_code == get_unit(session, unit_code.strip()).code)
    if role:
        query = query.where(Person.role == _role(role))
    if not include_revoked:
        query = query.where(col(Person.active).is_(True))
    return list(session.exec(query.order_by(col(Person.id))).all())


def _active_reviewer(person: Person) -> None:
    if not person.active:
        raise InvalidPerson(
            f"{person.name} (#{person.id}) was revoked on {person.revoked_at:%Y-%m-%d}",
            f"{person.name} (#{person.id}) đã bị thu hồi quyền ngày {person.revoked_at:%d/%m/%Y}",
        )
    if person.role != PersonRole.reviewer:
        raise InvalidPerson(
            f"{person.name} (#{person.id}) is a {person.role.value}, not a reviewer: only reviewers have codes",
            f"{person.name} (#{person.id}) có vai trò {person.role.value}, không phải người duyệt: "
            "chỉ người duyệt mới có mã",
        )


def reissue_secret(
    session: Session, person_ref: int | str, *, secret_key: bytes, actor: str
) -> tuple[Person, str]:
    """A new TOTP secret for a reviewer who lost theirs; the old one stops working at once."""
    person = get_person(session, person_ref)
    _active_reviewer(person)
    secret = new_secret()
    person.totp_secret_enc = encrypt_secret(secret, secret_key)
    session.add(person)
    session.flush()
    append_audit(
        session, actor=actor, action="secret_reissued", details={"person_id": person.id, "name": person.name}
    )
    return person, secret


def revoke_person(session: Session, person_ref: int | str, *, actor: str) -> Person:
    """Withdraw someone's authority: they can no longer approve, and their code secret is erased."""
    person = get_person(session, person_ref)
    if not person.active:
        raise InvalidPerson(
            f"{person.name} (#{person.id}) was already revoked on {person.revoked_at:%Y-%m-%d}",
            f"{person.name} (#{person.id}) đã bị thu hồi quyền từ ngày {person.revoked_at:%d/%m/%Y}",
        )
    person.active = False
    person.revoked_at = utcnow()
    person.totp_secret_enc = ""
    session.add(person)
    session.flush()
    append_audit(
        session, actor=actor, action="person_revoked", details={"person_id": person.id, "name": person.name}
    )
    return person


def verify_code(
    session: Session, person: Person, code: str, *, secret_key: bytes, at: datetime | None = None
) -> int:
    """Accept a reviewer's one-time code once: refuse wrong, stale and replayed codes; returns its step."""
    _active_reviewer(person)
    if not person.totp_secret_enc:
        raise CodeRejected(
            f"{person.name} has no code secret: re-issue one (bantin people reissue {person.id})",
            f"{person.name} chưa có mã bí mật: hãy cấp lại (bantin people reissue {person.id})",
        )
    step = matching_step(decrypt_secret(person.totp_secret_enc, secret_key), code or "", at)
    if step is None:
        raise CodeRejected(
            f"the code for {person.name} is wrong or expired: type the 6 digits your authenticator app shows now",
            f"mã của {person.name} sai hoặc đã hết hạn: hãy nhập 6 chữ số ứng dụng xác thực đang hiển thị",
        )
    # One conditional UPDATE: two concurrent uses of one code (or a use racing a revocation) cannot both pass.
    result = session.exec(  # type: ignore[call-overload]
        update(Person)
        .where(col(Person.id) == person.id, col(Person.active).is_(True))
        .where(or_(col(Person.totp_last_step).is_(None), col(Person.totp_last_step) < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.refresh(person)
        _active_reviewer(person)
        raise CodeRejected(
            f"this code of {person.name} was already used: wait for the next code (every 30 seconds)",
            f"mã này của {person.name} đã được dùng: hãy chờ mã tiếp theo (mỗi 30 giây)",
        )
    session.refresh(person)
    return step


# --- authority ---------------------------------------------------------------------------------


def common_ancestors(session: Session, unit_codes: list[str]) -> list[str]:
    """Units above-or-equal to every unit in ``unit_codes``, nearest first."""
    chains = [ancestor_codes(session, get_unit(session, code).code) for code in dict.fromkeys(unit_codes)]
    if not chains:
        return []
    others = [set(chain) for chain in chains[1:]]
    return [code for code in chains[0] if all(code in other for other in others)]


def reviewers_for(
    session: Session, unit_codes: list[str], *, emergency: bool = False, levels_up: int = 0
) -> list[Person]:
    """Active reviewers whose unit is above-or-equal to every target; ``levels_up`` skips the nearest levels.

    Levels count units that have eligible reviewers, nearest first: ``levels_up=1`` is the next level up
    that has any (escalation). Empty when no level that high exists.
    """
    chain = common_ancestors(session, unit_codes)
    if not chain:
        return []
    query = select(Person).where(
        col(Person.unit_code).in_(chain), col(Person.active).is_(True), Person.role == PersonRole.reviewer
    )
    if emergency:
        query = query.where(col(Person.emergency).is_(True))
    people = list(session.exec(query.order_by(col(Person.id))).all())
    levels = [code for code in chain if any(p.unit_code == code for p in people)]
    wanted = set(levels[max(levels_up, 0) :])
    return [p for p in people if p.unit_code in wanted]


def describe_people(people: list[Person]) -> tuple[str, str]:
    """``Name — Office (#id)`` for each, joined, in English and Vietnamese (empty list named as such)."""
    if not people:
        return (
            "nobody (add a reviewer with bantin people add)",
            "chưa có ai (thêm người duyệt bằng bantin people add)",
        )
    listed = "; ".join(person_label(p) for p in people)
    return listed, listed


def person_label(person: Person) -> str:
    """How a reviewer is shown in forms: ``Name — Office (#id)``."""
    office = person.office or person.unit_code
    return f"{person.name} — {office} (#{person.id})"


def check_authority(
    session: Session, person: Person, unit_codes: list[str], *, emergency: bool = False, levels_up: int = 0
) -> None:
    """NotAuthorised (naming who may approve) unless ``person`` may approve for every unit."""
    allowed = reviewers_for(session, unit_codes, emergency=emergency, levels_up=levels_up)
    if any(p.id == person.id for p in allowed):
        return
    who_en, who_vi = describe_people(allowed)
    targets = ", ".join(sorted(set(unit_codes)))
    if not person.active:
        why_en = f"was revoked on {person.revoked_at:%Y-%m-%d}"
        why_vi = f"đã bị thu hồi quyền ngày {person.revoked_at:%d/%m/%Y}"
    elif person.role != PersonRole.reviewer:
        why_en, why_vi = (
            f"is a {person.role.value}, not a reviewer",
            f"có vai trò {person.role.value}, không phải người duyệt",
        )
    elif emergency and not person.emergency:
        why_en, why_vi = "is not pre-authorised for emergencies", "không được ủy quyền duyệt tin khẩn cấp"
    else:
        why_en = f"has no authority over every target unit ({targets}) at this review level"
        why_vi = f"không có thẩm quyền với mọi địa bàn nhận ({targets}) ở cấp duyệt này"
    raise NotAuthorised(
        f"{person.name} (#{person.id}, unit {person.unit_code}) {why_en}. Who may approve: {who_en}",
        f"{person.name} (#{person.id}, đơn vị {person.unit_code}) {why_vi}. Người có thể duyệt: {who_vi}",
    )
