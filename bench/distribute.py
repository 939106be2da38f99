"""Distribution with the program composer: seconds to schedule one bulletin on N loudspeakers, as JSON.

Usage: python bench/distribute.py [--devices 2000] [--bulletins 3] [--database-url URL]

Loads a province's communes, puts N loudspeakers in villages of one commune (ten per village), then
distributes ``--bulletins`` normal bulletins one after another (each newer one goes first, so the
earlier ones move) and one emergency, and prints each distribution's wall time.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import storage

COMMUNE = "18904"


def seed(engine, devices: int) -> None:  # type: ignore[no-untyped-def]
    villages = max(1, devices // 10)
    with storage.session_scope(engine) as session:
        storage.import_province(session=session, province="Quảng Trị")
        rows = [
            {"type": "village", "code": f"B{i}", "name": f"Thôn {i}", "parent": COMMUNE}
            for i in range(villages)
        ]
        rows += [
            {"type": "device", "id": f"LOA-{i}", "kind": "speaker_cluster", "unit": f"B{i % villages}"}
            for i in range(devices)
        ]
        storage.import_records(session=session, rows=rows)


def publish(engine, title: str, priority: str, now: datetime) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    with storage.session_scope(engine) as session:
        draft = storage.BulletinDraft(
            title=title, body=f"{title}.", priority=priority, source_unit="44", target_units=[COMMUNE]
        )
        _, version, _ = storage.save_draft(session=session, draft=draft)
        sha = hashlib.sha256(title.encode()).hexdigest()
        storage.save_rendition(
            session=session, version_id=version.id, language="vie", kind=storage.RenditionKind.audio,
            audio_key=f"audio/{sha}.mp3", duration_s=60.0, details={"sha256": sha},
        )  # fmt: skip
        storage.record_review(
            session=session, version_id=version.id, reviewer="bench", decision=storage.ReviewDecision.approve
        )
        started = time.perf_counter()
        result = storage.distribute_version(session=session, version_id=version.id, now=now)
        session.flush()
    return time.perf_counter() - started, result.items_created


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=2000)
    parser.add_argument("--bulletins", type=int, default=3)
    parser.add_argument(
        "--database-url", default=None, help="Default: a SQLite file in a temporary directory."
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        storage.upgrade_database(url)
        engine = storage.make_engine(url)
        seed(engine, args.devices)
        now = datetime(2026, 12, 3, 0, 0, tzinfo=UTC)  # 07:00 in Vietnam: the next window is 17:00
        runs = [publish(engine, f"Bản tin {n}", "normal", now) for n in range(args.bulletins)]
        emergency = publish(engine, "Khẩn cấp", "emergency", now)
        engine.dispose()
    print(
        json.dumps(
            {
                "devices": args.devices,
                "database": url.split(":", 1)[0],
                "normal_s": [round(s, 3) for s, _ in runs],
                "emergency_s": round(emergency[0], 3),
                "items_per_distribution": [n for _, n in [*runs, emergency]],
            }
        )
    )


if __name__ == "__main__":
    main()
