"""Versions are immutable once sent for review: changes go into a new version that needs its own review."""

from __future__ import annotations

import io
import json
import math
import wave
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import select

import storage
from storage import BulletinStatus, RenditionKind, ReviewDecision
from tests.storage.test_people import COMMUNE, PROVINCE, bulletin, seed_units

NOW = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
def units(engine):  # type: ignore[no-untyped-def]
    return seed_units(engine)


OLD_SHA = "a" * 64  # audio scheduled before approved content was referenced by hash


def wav_tone(seconds: float = 2.0, freq_hz: float = 330.0, rate: int = 16_000) -> bytes:
    """A real WAV recording of a tone, as a reader's phone would upload it."""
    frames = b"".join(
        int(9000 * math.sin(2 * math.pi * freq_hz * n / rate)).to_bytes(2, "little", signed=True)
        for n in range(int(seconds * rate))
    )
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    return buffer.getvalue()


def version_of(engine, version_id: int) -> storage.BulletinVersion:  # type: ignore[no-untyped-def]
    with storage.session_scope(engine) as session:
        return session.get(storage.BulletinVersion, version_id)


def kinds(engine, version_id: int) -> dict[tuple[str, str], storage.Rendition]:  # type: ignore[no-untyped-def]
    with storage.session_scope(engine) as session:
        return {(r.language, r.kind.value): r for r in storage.renditions(session, version_id)}


def test_a_version_is_claimed_for_review_once(units) -> None:  # type: ignore[no-untyped-def]
    version_id = bulletin(units, [COMMUNE], claim=False)
    with storage.session_scope(units) as session:
        first, created = storage.claim_review(session, version_id=version_id, flow_run_id="run-a")
        again, created_again = storage.claim_review(session, version_id=version_id, flow_run_id="run-b")
        assert created and not created_again and again.id == first.id and again.flow_run_id == "run-a"
        assert [r.version_id for r in storage.waiting_reviews(session)] == [version_id]


def test_a_version_under_review_cannot_change(units) -> None:  # type: ignore[no-untyped-def]
    version_id = bulletin(units, [COMMUNE])
    before = kinds(units, version_id)
    with storage.session_scope(units) as session, pytest.raises(storage.VersionFrozen) as err:
        storage.save_rendition(
            session=session,
            version_id=version_id,
            language="vie",
            kind=RenditionKind.audio,
            audio_key="audio/" + "c" * 64 + ".mp3",
        )
    assert "phiên bản mới" in err.value.message_vi and "new version" in err.value.message_en
    assert kinds(units, version_id)[("vie", "audio")].audio_key == before[("vie", "audio")].audio_key


def test_a_reviewed_version_cannot_change(units) -> None:  # type: ignore[no-untyped-def]
    version_id = bulletin(units, [COMMUNE], claim=False)
    with storage.session_scope(units) as session:
        storage.record_review(
            session=session, version_id=version_id, reviewer="x", decision=ReviewDecision.approve
        )
    with storage.session_scope(units) as session, pytest.raises(storage.VersionFrozen):
        storage.save_rendition(
            session=session, version_id=version_id, language="khm", kind=RenditionKind.eboard, text="ខ្មែរ"
        )


def test_a_derived_version_copies_what_stays_valid(units) -> None:  # type: ignore[no-untyped-def]
    version_id = bulletin(units, [COMMUNE])
    with storage.session_scope(units) as session:
        storage.record_review(
            session=session, version_id=version_id, reviewer="x", decision=ReviewDecision.approve
        )
    with storage.session_scope(units) as session:
        new = storage.derive_version(
            session, version_id, actor="cli", reason="khm audio", drop_audio_language="khm"
        )
        bulletin_id = new.bulletin_id
    assert new.number == 2 and new.body == version_of(units, version_id).body
    assert set(kinds(units, new.id)) == {("vie", "audio"), ("vie", "eboard")}
    with storage.session_scope(units) as session:
        assert storage.get_bulletin(session, bulletin_id).status == BulletinStatus.draft
        assert storage.version_digest(session, new.id) == storage.version_digest(session, version_id)
        assert storage.latest_version(session, bulletin_id).id == new.id
        event = storage.bulletin_history(session, bulletin_id)[-1]
        assert event.action == "version_derived" and event.details["reason"] == "khm audio"
    with storage.session_scope(units) as session:  # the new version is open for its own renditions
        storage.save_rendition(
            session=session, version_id=new.id, language="vie", kind=RenditionKind.eboard, text="Mới"
        )


def test_an_edited_script_drops_what_it_invalidates(units) -> None:  # type: ignore[no-untyped-def]
    version_id = bulletin(units, [COMMUNE])
    with storage.session_scope(units) as session:
        new = storage.derive_version(
            session, version_id, actor="Nguyễn Văn An", reason="edit", script="  Kịch bản mới. "
        )
    assert {k: r.text for k, r in kinds(units, new.id).items()} == {("vie", "script"): "Kịch bản mới."}
    with storage.session_scope(units) as session, pytest.raises(storage.InvalidDraft) as err:
        storage.derive_version(session, version_id, actor="x", reason="edit", script="   ")
    assert "trống" in err.value.message_vi


def test_the_old_version_can_no_longer_be_approved_once_replaced(units) -> None:  # type: ignore[no-untyped-def]
    from tests.storage.test_people import add, decide

    an, secret = add(units, "Nguyễn Văn An", PROVINCE)
    version_id = bulletin(units, [COMMUNE])
    with storage.session_scope(units) as session:
        storage.derive_version(
            session, version_id, actor="cli", reason="recording", drop_audio_language="vie"
        )
    with pytest.raises(storage.ReviewClosed) as err:
        decide(units, version_id, an, secret)
    assert "phiên bản mới nhất" in err.value.message_vi


def test_drafts_are_audited_once(units) -> None:  # type: ignore[no-untyped-def]
    draft = storage.BulletinDraft(
        title="Tiêm chủng",
        body="Bà con đưa trẻ đi tiêm.",
        source_unit=PROVINCE,
        target_units=[COMMUNE],
        external_id="e1",
    )
    for _ in range(2):
        with storage.session_scope(units) as session:
            bulletin_obj, version, _ = storage.save_draft(session=session, draft=draft)
    with storage.session_scope(units) as session:
        events = storage.bulletin_history(session, bulletin_obj.id)
    assert [(e.action, e.version_id, e.content_hash) for e in events] == [
        ("drafted", version.id, version.content_hash)
    ]


def test_importing_a_recording_onto_a_distributed_bulletin_makes_a_new_version(
    units, db_url: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Nothing replaces approved audio: the played item keeps its audio, the recording awaits its own review."""
    from bantin.recordings import store_recording
    from bantin.settings import load_settings

    settings = load_settings(data_dir=tmp_path, database_url=db_url, s3_endpoint="")
    version_id = bulletin(units, [COMMUNE], claim=False)
    with storage.session_scope(units) as session:
        storage.import_records(
            session=session,
            rows=[
                {
                    "type": "device",
                    "id": "LOA-1",
                    "kind": "speaker_cluster",
                    "unit": COMMUNE,
                    "languages": "vie",
                }
            ],
        )
        storage.record_review(
            session=session, version_id=version_id, reviewer="x", decision=ReviewDecision.approve
        )
        storage.distribute_version(session=session, version_id=version_id, now=NOW)
    approved_audio = kinds(units, version_id)[("vie", "audio")]

    summary = store_recording(
        settings,
        wav_tone(),
        filename="doc.wav",
        bulletin=str(version_of(units, version_id).bulletin_id),
        language="vie",
    )

    assert "phiên bản mới 2" in summary and "new version 2" in summary
    with storage.session_scope(units) as session:
        bulletin_id = version_of(units, version_id).bulletin_id
        newest = storage.latest_version(session, bulletin_id)
        item = session.exec(
            select(storage.PlaylistItem).where(storage.PlaylistItem.device_id == "LOA-1")
        ).one()
        assert item.version_id == version_id and item.rendition_id == approved_audio.id
        assert storage.get_bulletin(session, bulletin_id).status == BulletinStatus.draft
        events = storage.bulletin_history(session, bulletin_id)
        assert [e.action for e in events][-2:] == ["version_derived", "recording_imported"]
        assert storage.approved_review(session, newest.id) is None
    assert kinds(units, version_id)[("vie", "audio")].audio_key == approved_audio.audio_key
    recorded = kinds(units, newest.id)[("vie", "audio")]
    assert recorded.engine == "recording" and recorded.audio_key != approved_audio.audio_key
    assert events[-1].content_hash == recorded.details["sha256"]


def test_importing_a_recording_before_review_stays_in_the_version(units, db_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from bantin.recordings import store_recording
    from bantin.settings import load_settings

    settings = load_settings(data_dir=tmp_path, database_url=db_url, s3_endpoint="")
    version_id = bulletin(units, [COMMUNE], claim=False)
    bulletin_id = version_of(units, version_id).bulletin_id
    summary = store_recording(
        settings, wav_tone(), filename="doc.wav", bulletin=str(bulletin_id), language="khm"
    )
    assert "version 1" in summary and "phiên bản mới" not in summary
    assert kinds(units, version_id)[("khm", "audio")].engine == "recording"


def test_recording_a_review_the_old_way_closes_the_request(units) -> None:  # type: ignore[no-untyped-def]
    version_id = bulletin(units, [COMMUNE])
    with storage.session_scope(units) as session:
        storage.record_review(
            session=session, version_id=version_id, reviewer="x", decision=ReviewDecision.approve
        )
        assert storage.waiting_reviews(session) == []
        assert storage.get_review_request(session, version_id).status == storage.ReviewRequestStatus.decided


def test_migration_0002_upgrades_a_database_with_data(db_url: str) -> None:
    """A database made before people and audit existed keeps its reviews and playlist items."""
    from alembic import command
    from alembic.script import ScriptDirectory
    from sqlalchemy import text

    from storage.db import alembic_config

    command.downgrade(alembic_config(db_url), "0001")
    engine = storage.make_engine(db_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO admin_unit (code, name, level, division_type, languages, created_at) "
                    "VALUES ('44', 'Quảng Trị', 'province', '', '[\"vie\"]', '2026-01-01 00:00:00')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO bulletin (id, title, category, priority, status, source_unit_code, created_by, "
                    "target_seconds, production_note, created_at, updated_at) VALUES (1, 'Cũ', 'x', 'normal', "
                    "'approved', '44', '', 60, '', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO bulletin_version (id, bulletin_id, number, body, content_hash, created_by, "
                    "created_at) VALUES (1, 1, 1, 'Nội dung', 'h', '', '2026-01-01 00:00:00')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO review (id, version_id, reviewer, decision, comment, created_at) "
                    "VALUES (1, 1, 'Ai đó', 'approve', '', '2026-01-01 00:00:00')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO rendition (id, version_id, language, kind, text, audio_key, engine, voice, "
                    "details, created_at) VALUES (1, 1, 'vie', 'audio', '', :key, '', '', :details, "
                    "'2026-01-01 00:00:00')"
                ),
                {"key": f"audio/{OLD_SHA}.mp3", "details": json.dumps({"sha256": OLD_SHA})},
            )
            connection.execute(
                text(
                    "INSERT INTO device (id, kind, unit_code, name, languages, token_hash, simulated, created_at) "
                    "VALUES ('LOA-CU', 'speaker_cluster', '44', '', '[\"vie\"]', '', false, '2026-01-01 00:00:00')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO playlist_item (id, device_id, bulletin_id, version_id, rendition_id, language, "
                    "priority, broadcast_date, window_name, starts_at, ends_at, created_at) VALUES (1, 'LOA-CU', "
                    "1, 1, 1, 'vie', 'normal', '2026-01-02', 'sang', '2026-01-02 06:00:00', "
                    "'2026-01-02 06:30:00', '2026-01-01 00:00:00')"
                )
            )
        storage.upgrade_database(db_url)
        assert (
            storage.current_revision(db_url)
            == ScriptDirectory.from_config(alembic_config(db_url)).get_current_head()
        )
        with storage.session_scope(engine) as session:
            review = session.get(storage.Review, 1)
            assert review.reviewer == "Ai đó" and review.person_id is None and review.content_digest == ""
            assert session.get(storage.PlaylistItem, 1).audio_sha256 == OLD_SHA  # old items keep playing
            storage.set_status(session=session, bulletin_id=1, status=BulletinStatus.expired)
        with storage.session_scope(engine) as session:
            assert storage.get_bulletin(session, 1).status == BulletinStatus.expired
    finally:
        engine.dispose()


def test_a_rerun_saving_the_same_content_on_a_frozen_version_changes_nothing(units) -> None:  # type: ignore[no-untyped-def]
    version_id = bulletin(units, [COMMUNE])
    before = kinds(units, version_id)[("vie", "audio")]
    with storage.session_scope(units) as session:
        again = storage.save_rendition(
            session=session,
            version_id=version_id,
            language="vie",
            kind=RenditionKind.audio,
            audio_key=before.audio_key,
            duration_s=99.0,
            details={"sha256": "b" * 64, "synthesis_seconds": 1.5},
        )
        assert again.id == before.id and again.duration_s == before.duration_s
        with pytest.raises(storage.VersionFrozen):
            storage.save_rendition(
                session=session, version_id=version_id, language="vie", kind=RenditionKind.eboard, text="Khác"
            )
