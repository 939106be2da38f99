"""People, one-time codes and authority on a SQLite file and on PostgreSQL: who may approve what, once."""

from __future__ import annotations

import base64
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

import storage
from storage import BulletinDraft, RenditionKind, ReviewDecision
from storage.people import decrypt_secret, hotp, matching_step, verify_code

KEY = b"test-secret-key-0123456789abcdef"
PROVINCE = "44"  # Quảng Trị
COMMUNE = "18904"  # Xã Dân Hóa
OTHER_COMMUNE = "18922"  # Xã Kim Điền
NOW = datetime(2026, 12, 2, 8, 0, 0, tzinfo=UTC)


def seed_units(engine):  # type: ignore[no-untyped-def]
    """Quảng Trị with its communes and a village below Dân Hóa."""
    with storage.session_scope(engine) as session:
        storage.import_province(session=session, province="Quảng Trị")
        storage.import_records(
            session=session, rows=[{"type": "village", "code": "V1", "name": "Bản Ra Mai", "parent": COMMUNE}]
        )
    return engine


@pytest.fixture
def units(engine):  # type: ignore[no-untyped-def]
    return seed_units(engine)


def add(engine, name: str, unit: str, role: str = "reviewer", **fields):  # type: ignore[no-untyped-def]
    """Add a person; returns (id, secret)."""
    with storage.session_scope(engine) as session:
        person, secret = storage.add_person(
            session, name=name, unit_code=unit, role=role, secret_key=KEY, **fields
        )
        return person.id, secret


def bulletin(engine, targets: list[str], title: str = "Phòng chống bão", claim: bool = True) -> int:
    """A drafted bulletin with audio and e-board text, sent for review; returns the version id."""
    with storage.session_scope(engine) as session:
        draft = BulletinDraft(
            title=title, body=f"{title}: bà con chú ý.", source_unit=PROVINCE, target_units=targets
        )
        _, version, _ = storage.save_draft(session=session, draft=draft)
        storage.save_rendition(
            session=session,
            version_id=version.id,
            language="vie",
            kind=RenditionKind.audio,
            audio_key="audio/" + "b" * 64 + ".mp3",
            details={"sha256": "b" * 64},
        )
        storage.save_rendition(
            session=session, version_id=version.id, language="vie", kind=RenditionKind.eboard, text=title
        )
        if claim:
            storage.claim_review(session, version_id=version.id, flow_run_id="run-1")
        return version.id


def decide(engine, version_id: int, person: int | str, secret: str, *, at: datetime = NOW, **fields):  # type: ignore[no-untyped-def]
    with storage.session_scope(engine) as session:
        return storage.decide_review(
            session,
            version_id=version_id,
            person_ref=person,
            code=fields.pop("code", None) or storage.totp_code(secret, at),
            decision=fields.pop("decision", ReviewDecision.approve),
            secret_key=KEY,
            at=at,
            **fields,
        )


def reviews(engine, version_id: int) -> list[storage.Review]:
    with storage.session_scope(engine) as session:
        return list(session.exec(select(storage.Review).where(storage.Review.version_id == version_id)).all())


# --- RFC 6238 ----------------------------------------------------------------------------------

RFC6238_SHA1 = [  # RFC 6238 Appendix B, SHA-1, 8 digits, secret "12345678901234567890"
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]


@pytest.mark.parametrize(("unix", "expected"), RFC6238_SHA1)
def test_totp_matches_rfc6238_test_vectors(unix: int, expected: str) -> None:
    secret = base64.b32encode(b"12345678901234567890").decode()
    assert storage.totp_code(secret, datetime.fromtimestamp(unix, UTC), digits=8) == expected


def test_rfc4226_hotp_six_digits() -> None:
    """RFC 4226 Appendix D: the first counters of the same secret."""
    codes = [hotp(b"12345678901234567890", counter) for counter in range(3)]
    assert codes == ["755224", "287082", "359152"]


def test_a_code_is_accepted_one_step_either_side_but_not_two() -> None:
    secret = storage.people.new_secret()
    for offset, accepted in ((-30, True), (0, True), (30, True), (-60, False), (60, False)):
        code = storage.totp_code(secret, NOW + timedelta(seconds=offset))
        assert (matching_step(secret, code, NOW) is not None) is accepted
    assert matching_step(secret, "12345", NOW) is None
    assert matching_step(secret, "abcdef", NOW) is None


# --- people ------------------------------------------------------------------------------------


def test_a_reviewer_gets_a_secret_once_stored_encrypted(units) -> None:  # type: ignore[no-untyped-def]
    person_id, secret = add(units, "  Nguyễn   Văn An ", PROVINCE, office="Phó Chủ tịch UBND tỉnh")
    assert secret and len(secret) == 32
    with storage.session_scope(units) as session:
        person = storage.get_person(session, person_id)
        assert person.name == "Nguyễn Văn An"
        assert secret not in person.totp_secret_enc
        assert decrypt_secret(person.totp_secret_enc, KEY) == secret
        uri = storage.totp_uri(person, secret)
        assert uri.startswith("otpauth://totp/") and f"secret={secret}" in uri and "issuer=bantin" in uri
    _, editor_secret = add(units, "Lê Văn Biên", COMMUNE, role="editor")
    assert editor_secret is None


def test_a_wrong_secret_key_is_a_clear_error(units) -> None:  # type: ignore[no-untyped-def]
    person_id, _ = add(units, "Nguyễn Văn An", PROVINCE)
    with storage.session_scope(units) as session:
        person = storage.get_person(session, person_id)
        with pytest.raises(storage.SecretKeyMismatch) as err:
            decrypt_secret(person.totp_secret_enc, b"another key")
    assert "BANTIN_SECRET_KEY" in err.value.message_en and "khóa" in err.value.message_vi


@pytest.mark.parametrize("name", ["", " ", "\t \n", "\u200b", " \u00a0\ufeff "])
def test_a_blank_name_is_refused(units, name: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(storage.InvalidPerson) as err:
        add(units, name, PROVINCE)
    assert "tên trống" in err.value.message_vi and "empty" in err.value.message_en
    with storage.session_scope(units) as session:
        assert storage.list_people(session, include_revoked=True) == []


def test_an_unknown_unit_or_role_is_refused(units) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(storage.UnknownUnit) as err:
        add(units, "Nguyễn Văn An", "99999")
    assert "99999" in err.value.message_vi
    with pytest.raises(storage.InvalidPerson) as err:
        add(units, "Nguyễn Văn An", PROVINCE, role="boss")
    assert "reviewer" in err.value.message_en and "vai trò" in err.value.message_vi
    with pytest.raises(storage.InvalidPerson):
        add(units, "Nguyễn Văn An", PROVINCE, role="editor", emergency=True)


def test_people_are_found_by_id_label_or_name_and_listed_by_unit_and_role(units) -> None:  # type: ignore[no-untyped-def]
    an, _ = add(units, "Nguyễn Văn An", PROVINCE, office="Phó Chủ tịch UBND tỉnh")
    add(units, "Lê Thị Bình", COMMUNE, office="Phó Chủ tịch UBND xã")
    add(units, "Trần Văn Cường", COMMUNE, role="editor")
    with storage.session_scope(units) as session:
        person = storage.get_person(session, an)
        assert storage.get_person(session, f"#{an}").id == an
        assert storage.get_person(session, storage.person_label(person)).id == an
        assert storage.get_person(session, " Nguyễn Văn An ").id == an
        assert [p.name for p in storage.list_people(session, unit_code=COMMUNE)] == [
            "Lê Thị Bình",
            "Trần Văn Cường",
        ]
        assert [p.name for p in storage.list_people(session, role="reviewer")] == [
            "Nguyễn Văn An",
            "Lê Thị Bình",
        ]
        with pytest.raises(storage.UnknownPerson) as err:
            storage.get_person(session, "Không Ai")
        assert "bantin people list" in err.value.message_vi


def test_a_name_typed_in_decomposed_unicode_is_the_same_person(units) -> None:  # type: ignore[no-untyped-def]
    """macOS keyboards send NFD: 'Nguyễn' typed there must find the person added as NFC."""
    import unicodedata

    person_id, _ = add(units, unicodedata.normalize("NFD", "Nguyễn Văn An"), PROVINCE)
    with storage.session_scope(units) as session:
        assert storage.get_person(session, person_id).name == unicodedata.normalize("NFC", "Nguyễn Văn An")
        assert storage.get_person(session, unicodedata.normalize("NFD", "Nguyễn  Văn An")).id == person_id


def test_two_people_with_one_name_must_be_named_by_id(units) -> None:  # type: ignore[no-untyped-def]
    add(units, "Nguyễn Văn An", PROVINCE)
    add(units, "Nguyễn Văn An", COMMUNE)
    with storage.session_scope(units) as session, pytest.raises(storage.UnknownPerson) as err:
        storage.get_person(session, "Nguyễn Văn An")
    assert "#1" in err.value.message_en and "#2" in err.value.message_en


# --- authority ---------------------------------------------------------------------------------


def test_reviewers_for_a_bulletin_are_those_above_every_target(units) -> None:  # type: ignore[no-untyped-def]
    add(units, "Tỉnh", PROVINCE)
    add(units, "Xã Dân Hóa", COMMUNE)
    add(units, "Xã Kim Điền", OTHER_COMMUNE)
    add(units, "Khẩn", PROVINCE, emergency=True)
    with storage.session_scope(units) as session:
        names = lambda people: sorted(p.name for p in people)  # noqa: E731
        assert names(storage.reviewers_for(session, ["V1"])) == ["Khẩn", "Tỉnh", "Xã Dân Hóa"]
        assert names(storage.reviewers_for(session, [COMMUNE, OTHER_COMMUNE])) == ["Khẩn", "Tỉnh"]
        assert names(storage.reviewers_for(session, ["V1"], levels_up=1)) == ["Khẩn", "Tỉnh"]
        assert storage.reviewers_for(session, ["V1"], levels_up=2) == []
        assert names(storage.reviewers_for(session, ["V1"], emergency=True)) == ["Khẩn"]


def test_a_commune_reviewer_cannot_approve_for_another_commune(units) -> None:  # type: ignore[no-untyped-def]
    add(units, "Nguyễn Văn An", PROVINCE, office="Phó Chủ tịch UBND tỉnh")
    binh, secret = add(units, "Lê Thị Bình", COMMUNE, office="Phó Chủ tịch UBND xã")
    version_id = bulletin(units, [COMMUNE, OTHER_COMMUNE])
    with pytest.raises(storage.NotAuthorised) as err:
        decide(units, version_id, binh, secret)
    assert "Nguyễn Văn An — Phó Chủ tịch UBND tỉnh" in err.value.message_vi
    assert "Người có thể duyệt" in err.value.message_vi and "Who may approve" in err.value.message_en
    assert reviews(units, version_id) == []


def test_a_higher_level_approves_for_lower_ones(units) -> None:  # type: ignore[no-untyped-def]
    an, secret = add(units, "Nguyễn Văn An", PROVINCE)
    version_id = bulletin(units, ["V1", OTHER_COMMUNE])
    review = decide(units, version_id, an, secret)
    assert review.person_id == an and review.decision == ReviewDecision.approve
    with storage.session_scope(units) as session:
        assert review.content_digest == storage.version_digest(session, version_id)
        version = session.get(storage.BulletinVersion, version_id)
        assert storage.get_bulletin(session, version.bulletin_id).status == storage.BulletinStatus.approved
        assert storage.get_review_request(session, version_id).status == storage.ReviewRequestStatus.decided
        assert [e.action for e in storage.bulletin_history(session, version.bulletin_id)] == [
            "drafted",
            "approved",
        ]


def test_after_escalation_only_the_next_level_up_may_approve(units) -> None:  # type: ignore[no-untyped-def]
    an, an_secret = add(units, "Nguyễn Văn An", PROVINCE)
    binh, binh_secret = add(units, "Lê Thị Bình", COMMUNE)
    version_id = bulletin(units, [COMMUNE])
    with storage.session_scope(units) as session:
        storage.escalate_review(session, version_id, level=1, due_at=NOW + timedelta(minutes=10))
    with pytest.raises(storage.NotAuthorised):
        decide(units, version_id, binh, binh_secret, levels_up=1)
    assert decide(units, version_id, an, an_secret, levels_up=1).person_id == an
    with storage.session_scope(units) as session:
        events = storage.bulletin_history(session, 1)
        assert [e.action for e in events][-2:] == ["escalated", "approved"]
        assert events[-2].details["level"] == 1 and events[-1].details["level"] == 1


def test_an_emergency_needs_an_emergency_reviewer(units) -> None:  # type: ignore[no-untyped-def]
    an, an_secret = add(units, "Nguyễn Văn An", PROVINCE)
    khan, khan_secret = add(units, "Phạm Khẩn", COMMUNE, emergency=True)
    version_id = bulletin(units, [COMMUNE])
    with pytest.raises(storage.NotAuthorised) as err:
        decide(units, version_id, an, an_secret, emergency=True)
    assert "Phạm Khẩn" in err.value.message_vi
    assert decide(units, version_id, khan, khan_secret, emergency=True).person_id == khan


def test_an_editor_cannot_approve(units) -> None:  # type: ignore[no-untyped-def]
    add(units, "Nguyễn Văn An", PROVINCE)
    editor, _ = add(units, "Trần Biên Tập", COMMUNE, role="editor")
    version_id = bulletin(units, [COMMUNE])
    with pytest.raises(storage.NotAuthorised) as err:
        decide(units, version_id, editor, "", code="123456")
    assert "không phải người duyệt" in err.value.message_vi
    assert reviews(units, version_id) == []


# --- codes -------------------------------------------------------------------------------------


def test_a_wrong_or_expired_code_is_refused(units) -> None:  # type: ignore[no-untyped-def]
    an, secret = add(units, "Nguyễn Văn An", PROVINCE)
    version_id = bulletin(units, [COMMUNE])
    wrong = f"{(int(storage.totp_code(secret, NOW)) + 1) % 1_000_000:06d}"
    with pytest.raises(storage.CodeRejected) as err:
        decide(units, version_id, an, secret, code=wrong)
    assert "sai hoặc đã hết hạn" in err.value.message_vi
    old = storage.totp_code(secret, NOW - timedelta(minutes=2))
    with pytest.raises(storage.CodeRejected):
        decide(units, version_id, an, secret, code=old)
    assert reviews(units, version_id) == []


def test_a_code_approves_once_even_for_another_bulletin(units) -> None:  # type: ignore[no-untyped-def]
    an, secret = add(units, "Nguyễn Văn An", PROVINCE)
    first, second = bulletin(units, [COMMUNE], "Bão số 5"), bulletin(units, [COMMUNE], "Tiêm chủng")
    code = storage.totp_code(secret, NOW)
    decide(units, first, an, secret, code=code)
    with pytest.raises(storage.CodeRejected) as err:
        decide(units, second, an, secret, code=code, at=NOW + timedelta(seconds=5))
    assert "đã được dùng" in err.value.message_vi
    # The previous step's code is still inside the drift window but older than the used one.
    with pytest.raises(storage.CodeRejected):
        decide(units, second, an, secret, code=storage.totp_code(secret, NOW - timedelta(seconds=30)))
    assert reviews(units, second) == []
    assert (
        decide(units, second, an, secret, at=NOW + timedelta(seconds=30)).decision == ReviewDecision.approve
    )


def test_a_reissued_secret_kills_the_old_one(units) -> None:  # type: ignore[no-untyped-def]
    an, old_secret = add(units, "Nguyễn Văn An", PROVINCE)
    with storage.session_scope(units) as session:
        _, new_secret = storage.reissue_secret(session, an, secret_key=KEY, actor="cli")
    assert new_secret != old_secret
    version_id = bulletin(units, [COMMUNE])
    with pytest.raises(storage.CodeRejected):
        decide(units, version_id, an, old_secret)
    assert decide(units, version_id, an, new_secret).person_id == an


def test_a_revoked_reviewer_cannot_approve(units) -> None:  # type: ignore[no-untyped-def]
    an, secret = add(units, "Nguyễn Văn An", PROVINCE)
    add(units, "Lê Thị Bình", PROVINCE, office="Chủ tịch UBND tỉnh")
    with storage.session_scope(units) as session:
        storage.revoke_person(session, "Nguyễn Văn An", actor="cli")
        with pytest.raises(storage.InvalidPerson):
            storage.revoke_person(session, an, actor="cli")
        assert [p.name for p in storage.list_people(session)] == ["Lê Thị Bình"]
    version_id = bulletin(units, [COMMUNE])
    with pytest.raises(storage.NotAuthorised) as err:
        decide(units, version_id, an, secret)
    assert "thu hồi" in err.value.message_vi and "Lê Thị Bình" in err.value.message_vi
    assert reviews(units, version_id) == []


def test_a_concurrent_use_of_one_code_passes_once(units) -> None:  # type: ignore[no-untyped-def]
    an, secret = add(units, "Nguyễn Văn An", PROVINCE)
    code = storage.totp_code(secret, NOW)
    with storage.session_scope(units) as first, storage.session_scope(units) as second:
        person_a, person_b = storage.get_person(first, an), storage.get_person(second, an)
        verify_code(first, person_a, code, secret_key=KEY, at=NOW)
        first.commit()
        with pytest.raises(storage.CodeRejected):
            verify_code(second, person_b, code, secret_key=KEY, at=NOW)


# --- decisions ---------------------------------------------------------------------------------


@pytest.mark.parametrize("decision", [ReviewDecision.reject, ReviewDecision.request_changes])
def test_reject_or_request_changes_needs_a_comment(units, decision: ReviewDecision) -> None:  # type: ignore[no-untyped-def]
    an, secret = add(units, "Nguyễn Văn An", PROVINCE)
    version_id = bulletin(units, [COMMUNE])
    with pytest.raises(storage.InvalidDecision) as err:
        decide(units, version_id, an, secret, decision=decision, comment="  ")
    assert "nhận xét" in err.value.message_vi
    review = decide(units, version_id, an, secret, decision=decision, comment="Sai giờ")
    assert review.comment == "Sai giờ"


def test_an_expired_version_cannot_be_approved(units) -> None:  # type: ignore[no-untyped-def]
    an, secret = add(units, "Nguyễn Văn An", PROVINCE)
    version_id = bulletin(units, [COMMUNE])
    with storage.session_scope(units) as session:
        storage.expire_review(session, version_id)
        assert storage.waiting_reviews(session) == []
    with pytest.raises(storage.ReviewClosed) as err:
        decide(units, version_id, an, secret)
    assert "hết hạn" in err.value.message_vi
    assert reviews(units, version_id) == []


def test_a_second_approval_of_one_version_is_refused(units) -> None:  # type: ignore[no-untyped-def]
    an, an_secret = add(units, "Nguyễn Văn An", PROVINCE)
    binh, binh_secret = add(units, "Lê Thị Bình", COMMUNE)
    version_id = bulletin(units, [COMMUNE], claim=False)  # decided without a flow's claim
    decide(units, version_id, an, an_secret)
    with pytest.raises(storage.ReviewClosed) as err:
        decide(units, version_id, binh, binh_secret)
    assert "một lần" in err.value.message_vi
    assert len(reviews(units, version_id)) == 1


def test_content_changed_since_shown_is_refused(units) -> None:  # type: ignore[no-untyped-def]
    an, secret = add(units, "Nguyễn Văn An", PROVINCE)
    version_id = bulletin(units, [COMMUNE])
    with pytest.raises(storage.ReviewClosed) as err:
        decide(units, version_id, an, secret, expected_digest="0" * 64)
    assert "thay đổi" in err.value.message_vi
    with storage.session_scope(units) as session:
        digest = storage.version_digest(session, version_id)
    assert decide(units, version_id, an, secret, expected_digest=digest).content_digest == digest


def test_two_concurrent_approvals_make_one_review(units) -> None:  # type: ignore[no-untyped-def]
    """Two reviewers approve one version at the same moment: one wins, the other is told it is decided."""
    an, an_secret = add(units, "Nguyễn Văn An", PROVINCE)
    binh, binh_secret = add(units, "Lê Thị Bình", COMMUNE)
    version_id = bulletin(units, [COMMUNE])
    outcome: dict[str, object] = {}

    def second_reviewer() -> None:
        try:
            outcome["second"] = decide(units, version_id, binh, binh_secret)
        except storage.StorageError as exc:
            outcome["second"] = exc

    with storage.session_scope(units) as session:
        storage.decide_review(
            session,
            version_id=version_id,
            person_ref=an,
            code=storage.totp_code(an_secret, NOW),
            decision=ReviewDecision.approve,
            secret_key=KEY,
            at=NOW,
        )
        thread = threading.Thread(target=second_reviewer)
        thread.start()
        time.sleep(1.0)  # let the second reviewer reach the database while the first holds its transaction
    thread.join(timeout=60)
    assert isinstance(outcome["second"], storage.ReviewClosed)
    assert [r.person_id for r in reviews(units, version_id)] == [an]


def test_the_vietnamese_decision_labels_are_understood(units) -> None:  # type: ignore[no-untyped-def]
    an, secret = add(units, "Nguyễn Văn An", PROVINCE)
    version_id = bulletin(units, [COMMUNE])
    with pytest.raises(storage.InvalidDecision):
        decide(units, version_id, an, secret, decision="có lẽ")
    review = decide(units, version_id, an, secret, decision="từ chối", comment="Sai địa bàn")
    assert review.decision == ReviewDecision.reject
    with storage.session_scope(units) as session:
        assert storage.get_bulletin(session, 1).status == storage.BulletinStatus.rejected


def test_a_decision_under_the_wrong_secret_key_records_nothing(units) -> None:  # type: ignore[no-untyped-def]
    an, secret = add(units, "Nguyễn Văn An", PROVINCE)
    version_id = bulletin(units, [COMMUNE])
    with storage.session_scope(units) as session, pytest.raises(storage.SecretKeyMismatch) as err:
        storage.decide_review(
            session,
            version_id=version_id,
            person_ref=an,
            code=storage.totp_code(secret, NOW),
            decision=ReviewDecision.approve,
            secret_key=b"not the key the secrets were stored with",
            at=NOW,
        )
    assert "bantin people reissue" in err.value.message_vi
    assert reviews(units, version_id) == []


def test_the_secret_key_comes_from_the_setting_or_a_private_key_file(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import stat

    monkeypatch.delenv("BANTIN_SECRET_KEY", raising=False)
    assert storage.StorageSettings(data_dir=tmp_path, secret_key="from-env").secret_key_bytes() == b"from-env"
    first = storage.StorageSettings(data_dir=tmp_path / "d").secret_key_bytes()
    assert len(base64.urlsafe_b64decode(first)) == 32
    assert stat.S_IMODE((tmp_path / "d" / "secret.key").stat().st_mode) == 0o600
    assert storage.StorageSettings(data_dir=tmp_path / "d").secret_key_bytes() == first
    (tmp_path / "d" / "secret.key").write_text("\n")
    with pytest.raises(storage.StorageError) as err:
        storage.StorageSettings(data_dir=tmp_path / "d").secret_key_bytes()
    assert "BANTIN_SECRET_KEY" in err.value.message_vi


def test_processes_starting_at_once_on_a_fresh_data_dir_share_one_complete_key(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import os
    import subprocess
    import sys

    monkeypatch.delenv("BANTIN_SECRET_KEY", raising=False)
    code = (
        "import sys, storage\n"
        "sys.stdin.read()\n"  # every process waits here until all are started
        "print(storage.StorageSettings(data_dir=sys.argv[1]).secret_key_bytes().decode())\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "BANTIN_SECRET_KEY"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(tmp_path / "d")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(8)
    ]
    for proc in procs:
        proc.stdin.close()  # type: ignore[union-attr]
    answers = [(proc.stdout.read(), proc.stderr.read()) for proc in procs]  # type: ignore[union-attr]
    assert [proc.wait(timeout=120) for proc in procs] == [0] * 8
    assert [err for _, err in answers if err] == []
    keys = {out.strip() for out, _ in answers}
    assert len(keys) == 1 and len(base64.urlsafe_b64decode(keys.pop())) == 32
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == ["secret.key"]


def test_a_code_racing_its_reviewers_revocation_is_refused(units) -> None:  # type: ignore[no-untyped-def]
    an, secret = add(units, "Nguyễn Văn An", PROVINCE)
    with storage.session_scope(units) as deciding:
        seen = storage.get_person(deciding, an)  # loaded before the revocation lands
        with storage.session_scope(units) as revoking:
            storage.revoke_person(revoking, an, actor="cli")
        with pytest.raises(storage.InvalidPerson) as err:
            verify_code(deciding, seen, storage.totp_code(secret, NOW), secret_key=KEY, at=NOW)
    assert "thu hồi" in err.value.message_vi
