"""Devices targeted by a bulletin count each device once, however many languages it plays (SQLite, PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

import storage
from storage.metrics import day_period, reach_metrics
from storage.models import AdminLevel, AdminUnit, Device, DeviceKind, PlaybackStatus, Priority
from tests.storage.test_metrics import DAY, EVENING, MORNING, NOW, _bulletin, _confirm, _item, at


def test_a_two_language_loudspeaker_is_one_device_targeted(engine) -> None:  # type: ignore[no-untyped-def]
    """Province P1: commune C1 (villages V1, V2), commune C2 (village V3).

    LOA-1 in V1 plays Vietnamese and Khmer (two items), LOA-2 in V2 Vietnamese in two windows,
    LOA-3 in V3 Vietnamese and Khmer and plays nothing. Only LOA-1's Khmer item is played.
    """
    with storage.session_scope(engine) as session:
        session.add(AdminUnit(code="P1", name="Tỉnh Một", level=AdminLevel.province))
        session.flush()
        for code in ("C1", "C2"):
            session.add(AdminUnit(code=code, name=f"Xã {code}", level=AdminLevel.commune, parent_code="P1"))
        session.flush()
        for code, parent in (("V1", "C1"), ("V2", "C1"), ("V3", "C2")):
            session.add(AdminUnit(code=code, name=f"Ấp {code}", level=AdminLevel.village, parent_code=parent))
        session.flush()
        created = datetime(2026, 11, 1, tzinfo=UTC)
        for device, unit, languages in (
            ("LOA-1", "V1", ["vie", "khm"]),
            ("LOA-2", "V2", ["vie"]),
            ("LOA-3", "V3", ["vie", "khm"]),
        ):
            session.add(
                Device(
                    id=device, kind=DeviceKind.speaker_cluster, unit_code=unit, languages=languages,
                    created_at=created,
                )
            )  # fmt: skip
        session.flush()
        storm, version, renditions = _bulletin(
            session, "Bão số 9", Priority.emergency, ["C1", "C2"], ["vie", "khm"]
        )
        _item(session, "LOA-1", storm, version, renditions["vie"], MORNING, True)
        played = _item(session, "LOA-1", storm, version, renditions["khm"], MORNING, True, language="khm")
        _confirm(session, played, PlaybackStatus.played, at(23, 10), duration=100.0)
        _item(session, "LOA-2", storm, version, renditions["vie"], MORNING, True)
        _item(session, "LOA-2", storm, version, renditions["vie"], EVENING, True)
        _item(session, "LOA-3", storm, version, renditions["vie"], MORNING, False)
        _item(session, "LOA-3", storm, version, renditions["khm"], MORNING, False, language="khm")
        flood, version, renditions = _bulletin(session, "Lũ", Priority.priority, ["P1"], ["vie", "khm"])
        for device in ("LOA-1", "LOA-3"):
            _item(session, device, flood, version, renditions["vie"], MORNING, True)
            _item(session, device, flood, version, renditions["khm"], MORNING, True, language="khm")

    def targets(unit: str | None = None) -> tuple:
        with storage.session_scope(engine) as session:
            result = reach_metrics(session=session, period=day_period(DAY), unit_code=unit, now=NOW)
        return result, {
            (t["bulletin_id"], t["unit_code"]): (t["devices"], t["played"]) for t in result.targets
        }

    result, province = targets()
    # Devices and devices that played, per bulletin x targeted unit.
    assert province == {
        (storm.id, "C1"): (2, 1),  # LOA-1 (vie + khm) and LOA-2 (two windows): 2 devices, not 4 items
        (storm.id, "C2"): (1, 0),  # LOA-3 (vie + khm): 1 device, not 2 items
        (flood.id, "P1"): (2, 0),  # the province: LOA-1 and LOA-3, one each, not 4 items
    }
    # Per language a device counts once in each language it plays.
    by_language = {
        (r.key["unit_code"], r.key["language"]): r.counts.targeted for r in result.by_unit_language
    }
    assert by_language[("V1", "vie")] == by_language[("V1", "khm")] == 2  # LOA-1, in each bulletin
    assert by_language[("C2", "vie")] == by_language[("C2", "khm")] == 2  # LOA-3, in each bulletin
    assert by_language[("P1", "khm")] == 4 and by_language[("P1", "vie")] == 6  # LOA-2's two windows
    # The commune's officer: the province-wide bulletin counts for C1 with C1's devices only.
    _, commune = targets("C1")
    assert commune == {(storm.id, "C1"): (2, 1), (flood.id, "C1"): (1, 0)}
    _, village = targets("V1")
    assert village == {(storm.id, "V1"): (1, 1), (flood.id, "V1"): (1, 0)}
