"""Distribution schedules only the exact content a reviewer approved, by sha256, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

import pytest
from sqlmodel import select, update

import storage
from storage import RenditionKind

PROVINCE = "44"  # Quảng Trị
COMMUNE = "18904"  # Xã Dân Hóa
OTHER_COMMUNE = "18922"  # Xã Kim Điền
SECRET_KEY = b"test-secret-key-for-distribution"
AUDIO = b"ID3 approved reading " * 40
OTHER_AUDIO = b"ID3 imported recording " * 40


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def seeded(engine):  # type: ignore[no-untyped-def]
    """A province with two villages: a loudspeaker cluster in each and an e-board in the first commune."""
    with storage.session_scope(engine) as session:
        storage.import_province(session=session, province="Quảng Trị")
        storage.import_records(
            session=session,
            rows=[
                {"type": "village", "code": "V1", "name": "Bản Ra Mai", "parent": COMMUNE},
                {"type": "village", "code": "V2", "name": "Thôn Kim Lũ", "parent": OTHER_COMMUNE},
                {"type": "device", "id": "LOA-V1", "kind": "speaker_cluster", "unit": "V1"},
                {"type": "device", "id": "LOA-V2", "kind": "speaker_cluster", "unit": "V2"},
                {"type": "device", "id": "BANG-1", "kind": "eboard", "unit": COMMUNE},
            ],
        )
    return engine


def under_review(engine, audio: bytes = AUDIO) -> int:  # type: ignore[no-untyped-def]
    """A produced version (audio + e-board text) whose review was requested; returns its id."""
    with storage.session_scope(engine) as session:
        draft = storage.BulletinDraft(
            title="Phòng chống bão số 5",
            body="Bà con chằng chống nhà cửa trước 17h ngày 22/11.",
            source_unit=PROVINCE,
            target_units=[COMMUNE],
        )
        _, version, _ = storage.save_draft(session=session, draft=draft)
        storage.save_rendition(
            session=session,
            version_id=version.id,
            language="vie",
            kind=RenditionKind.audio,
            audio_key=f"audio/{sha(audio)}.mp3",
            duration_s=30.0,
            details={"sha256": sha(audio)},
        )
        storage.save_rendition(
            session=session,
            version_id=version.id,
            language="vie",
            kind=RenditionKind.eboard,
            text="Chằng chống nhà",
        )
        storage.claim_review(session, version_id=version.id, flow_run_id="run-1")
        return version.id


def approve(engine, version_id: int) -> str:  # type: ignore[no-untyped-def]
    """A provincial reviewer approves with a one-time code; returns the approved digest."""
    with storage.session_scope(engine) as session:
        person, secret = storage.add_person(
            session,
            name=f"Người duyệt {uuid.uuid4().hex[:6]}",
            unit_code=PROVINCE,
            role="reviewer",
            secret_key=SECRET_KEY,
        )
        review = storage.decide_review(
            session,
            version_id=version_id,
            person_ref=person.id,
            code=storage.totp_code(secret),
            decision=storage.ReviewDecision.approve,
            secret_key=SECRET_KEY,
        )
        return review.content_digest


def distribute(engine, version_id: int) -> storage.Distribution:  # type: ignore[no-untyped-def]
    with storage.session_scope(engine) as session:
        return storage.distribute_version(session=session, version_id=version_id)


def playlist(engine) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """device id -> audio sha256 of its playlist items."""
    with storage.session_scope(engine) as session:
        items = session.exec(select(storage.PlaylistItem)).all()
        return {i.device_id: i.audio_sha256 for i in items}


def distributed_events(engine) -> list[storage.AuditEvent]:  # type: ignore[no-untyped-def]
    with storage.session_scope(engine) as session:
        events = session.exec(
            select(storage.AuditEvent).where(storage.AuditEvent.action == "distributed")
        ).all()
        for event in events:
            session.expunge(event)
        return list(events)


def test_version_under_review_is_not_distributed(seeded):
    version_id = under_review(seeded)

    with pytest.raises(storage.InvalidDraft) as refused:
        distribute(seeded, version_id)

    assert "not been approved" in refused.value.message_en and "chưa được duyệt" in refused.value.message_vi
    assert playlist(seeded) == {} and distributed_events(seeded) == []


def test_items_name_the_sha256_of_the_approved_audio(seeded):
    version_id = under_review(seeded)
    approve(seeded, version_id)

    result = distribute(seeded, version_id)

    assert result.items_created == 2  # the cluster in the commune's village and the commune's e-board
    assert playlist(seeded) == {"LOA-V1": sha(AUDIO), "BANG-1": ""}
    with storage.session_scope(seeded) as session:
        device = storage.get_device(session, "LOA-V1")
        [entry] = storage.device_playlist(session=session, device=device)
    assert entry.sha256 == sha(AUDIO) and entry.audio_key == f"audio/{sha(AUDIO)}.mp3"


def _swap_audio(session, version_id: int) -> None:  # type: ignore[no-untyped-def]
    session.exec(
        update(storage.Rendition)
        .where(storage.Rendition.version_id == version_id, storage.Rendition.kind == RenditionKind.audio)
        .values(audio_key=f"audio/{sha(OTHER_AUDIO)}.mp3", details={"sha256": sha(OTHER_AUDIO)})
    )


def _edit_eboard_text(session, version_id: int) -> None:  # type: ignore[no-untyped-def]
    session.exec(
        update(storage.Rendition)
        .where(storage.Rendition.version_id == version_id, storage.Rendition.kind == RenditionKind.eboard)
        .values(text="Nội dung chưa được duyệt")
    )


@pytest.mark.parametrize("change", [_swap_audio, _edit_eboard_text], ids=["audio swapped", "eboard edited"])
def test_content_changed_after_approval_is_not_distributed(seeded, change):
    version_id = under_review(seeded)
    approved = approve(seeded, version_id)
    with storage.session_scope(seeded) as session:  # behind the API's back, straight in the database
        change(session, version_id)

    with pytest.raises(storage.ApprovalOutdated) as refused:
        distribute(seeded, version_id)

    assert approved[:12] in refused.value.message_en and "cần được duyệt lại" in refused.value.message_vi
    assert playlist(seeded) == {} and distributed_events(seeded) == []
    with storage.session_scope(seeded) as session:
        bulletin_id = session.get(storage.BulletinVersion, version_id).bulletin_id
        assert storage.get_bulletin(session, bulletin_id).status == storage.BulletinStatus.approved


def test_distribution_is_audited_with_the_approved_digest_once(seeded):
    version_id = under_review(seeded)
    approved = approve(seeded, version_id)

    distribute(seeded, version_id)
    again = distribute(seeded, version_id)

    assert again.items_created == 0 and again.items_existing == 2
    [event] = distributed_events(seeded)
    assert event.version_id == version_id and event.content_hash == approved
    assert event.details["audio_sha256"] == [sha(AUDIO)] and event.details["items_created"] == 2
    with storage.session_scope(seeded) as session:
        assert storage.verify_audit(session).ok


def test_device_audio_allowed_only_for_its_current_items(seeded):
    version_id = under_review(seeded)
    approve(seeded, version_id)
    distribute(seeded, version_id)
    under_review(seeded, OTHER_AUDIO)  # another bulletin, waiting for its review

    with storage.session_scope(seeded) as session:
        own, other = storage.get_device(session, "LOA-V1"), storage.get_device(session, "LOA-V2")
        [item] = session.exec(
            select(storage.PlaylistItem).where(storage.PlaylistItem.device_id == own.id)
        ).all()
        assert storage.device_audio_allowed(session=session, device=own, sha256=sha(AUDIO))
        assert not storage.device_audio_allowed(session=session, device=own, sha256=sha(OTHER_AUDIO))
        assert not storage.device_audio_allowed(session=session, device=other, sha256=sha(AUDIO))
        after_window = item.ends_at + timedelta(seconds=1)
        assert not storage.device_audio_allowed(
            session=session, device=own, sha256=sha(AUDIO), now=after_window
        )
        event = storage.ConfirmationEvent(
            event_id=uuid.uuid4(),
            item_id=item.id,
            status=storage.PlaybackStatus.played,
            occurred_at=item.starts_at,
        )
        storage.record_confirmations(session=session, device=own, events=[event], now=item.starts_at)
        assert not storage.device_audio_allowed(session=session, device=own, sha256=sha(AUDIO))  # played


def test_a_corrected_version_replaces_the_earlier_one_on_devices(seeded):
    first = under_review(seeded)
    approve(seeded, first)
    distribute(seeded, first)
    with storage.session_scope(seeded) as session:
        second = storage.derive_version(
            session, first, actor="biên tập viên", reason="sửa giờ", drop_audio_language="vie"
        ).id
        storage.save_rendition(
            session=session,
            version_id=second,
            language="vie",
            kind=RenditionKind.audio,
            audio_key=f"audio/{sha(OTHER_AUDIO)}.mp3",
            duration_s=31.0,
            details={"sha256": sha(OTHER_AUDIO)},
        )
        storage.claim_review(session, version_id=second, flow_run_id="run-2")
    approve(seeded, second)

    distribute(seeded, second)

    with storage.session_scope(seeded) as session:
        cluster, board = storage.get_device(session, "LOA-V1"), storage.get_device(session, "BANG-1")
        [spoken] = storage.device_playlist(session=session, device=cluster)
        [shown] = storage.device_playlist(session=session, device=board)
        assert spoken.sha256 == sha(OTHER_AUDIO)  # the corrected reading, not both
        assert not storage.device_audio_allowed(session=session, device=cluster, sha256=sha(AUDIO))
        items = session.exec(select(storage.PlaylistItem).where(storage.PlaylistItem.device_id == board.id))
        assert shown.item_id == max(i.id for i in items)  # the board shows the corrected version's item
