"""`bantin demo` end to end on PostgreSQL and an S3 server (SeaweedFS): the same outcomes as on SQLite and files."""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import boto3
import pytest
from sqlalchemy import text

import storage
from tests.e2e.test_demo import BANTIN, TABLES, figure

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.s3]


def run_demo(data_dir: Path, database_url: str, s3_endpoint: str, bucket: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BANTIN_", "PREFECT_"))}
    env |= {
        "BANTIN_DATA_DIR": str(data_dir),
        "BANTIN_DATABASE_URL": database_url,
        "BANTIN_S3_ENDPOINT": s3_endpoint,
        "BANTIN_S3_BUCKET": bucket,
        "BANTIN_S3_ACCESS_KEY": "any",
        "BANTIN_S3_SECRET_KEY": "any",
    }
    result = subprocess.run([BANTIN, "demo"], env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def scalar(url: str, sql: str) -> int:
    engine = storage.make_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql)).scalar_one()
    finally:
        engine.dispose()


def counts(url: str) -> dict[str, int]:
    return {table: scalar(url, f"select count(*) from {table}") for table in TABLES}


def test_demo_on_postgres_and_s3_reaches_devices_and_reruns_without_duplicates(
    tmp_path: Path, postgres_url: str, s3_endpoint: str
) -> None:
    bucket = f"e2e-{uuid.uuid4().hex[:12]}"
    first = run_demo(tmp_path, postgres_url, s3_endpoint, bucket)

    assert figure(first, "produced") == 4 and figure(first, "approved") == 4
    assert figure(first, "confirmations") > 0 and figure(first, "devices reached") > 0
    s3 = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id="any",
        aws_secret_access_key="any",
        region_name="us-east-1",
    )
    keys = [
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for o in page.get("Contents", [])
    ]
    assert [k for k in keys if k.startswith("audio/") and k.endswith(".mp3")]
    assert [k for k in keys if k.startswith("reports/") and k.endswith(".md")]
    # nothing landed in the data dir instead: objects live in S3, rows in PostgreSQL
    assert not (tmp_path / "objects").exists() and not (tmp_path / "bantin.db").exists()
    approvals = scalar(
        postgres_url,
        "select count(*) from review r join person p on p.id = r.person_id where r.decision = 'approve'",
    )
    assert approvals == 4
    before = counts(postgres_url)

    second = run_demo(tmp_path, postgres_url, s3_endpoint, bucket)

    after = counts(postgres_url)
    assert {t: after[t] for t in TABLES[:-1]} == {t: before[t] for t in TABLES[:-1]}
    assert figure(second, "confirmations") >= figure(first, "confirmations")
    repeated = scalar(
        postgres_url,
        "select count(*) from (select device_id, playlist_item_id from playback_confirmation "
        "group by device_id, playlist_item_id having count(*) > 1) as twice",
    )
    assert repeated == 0
