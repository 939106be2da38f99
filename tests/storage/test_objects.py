"""Object stores: local directory and a real S3 server behave the same."""

from __future__ import annotations

import hashlib

import httpx
import pytest

import storage
from storage import LocalObjectStore, S3ObjectStore


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def store(request: pytest.FixtureRequest, tmp_path):  # type: ignore[no-untyped-def]
    if request.param == "local":
        return LocalObjectStore(tmp_path / "objects")
    endpoint = request.getfixturevalue("s3_endpoint")
    s3 = S3ObjectStore(
        endpoint=endpoint, bucket=f"b{abs(hash(tmp_path)) % 10**8}", access_key="any", secret_key="any"
    )
    s3.ensure_bucket()
    return s3


def test_audio_is_stored_once_under_its_sha256(store) -> None:  # type: ignore[no-untyped-def]
    data = b"ID3" + bytes(range(256)) * 40
    key = storage.put_content(store, data)
    assert key == f"audio/{hashlib.sha256(data).hexdigest()}.mp3"
    assert storage.put_content(store, data) == key
    assert store.get(key) == data
    assert store.keys("audio/") == [key]


def test_missing_object_is_a_clear_error(store) -> None:  # type: ignore[no-untyped-def]
    assert not store.exists("audio/nothing.mp3")
    with pytest.raises(storage.ObjectNotFound):
        store.get("audio/nothing.mp3")


@pytest.mark.parametrize("key", ["", "../etc/passwd", "/abs/key", "a/../../b"])
def test_keys_cannot_escape_the_store(store, key: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(storage.InvalidKey):
        store.put(key, b"x")


@pytest.mark.s3
def test_s3_presigned_url_serves_the_bytes(s3_endpoint: str) -> None:
    s3 = S3ObjectStore(endpoint=s3_endpoint, bucket="presign", access_key="any", secret_key="any")
    s3.ensure_bucket()
    key = storage.put_content(s3, b"real audio bytes")
    response = httpx.get(s3.url(key, expires_s=60))
    assert response.status_code == 200
    assert response.content == b"real audio bytes"


def test_settings_choose_the_store(tmp_path, s3_endpoint: str) -> None:
    local = storage.open_object_store(storage.StorageSettings(data_dir=tmp_path))
    assert isinstance(local, LocalObjectStore)
    remote = storage.open_object_store(
        storage.StorageSettings(
            data_dir=tmp_path,
            s3_endpoint=s3_endpoint,
            s3_bucket="fromsettings",
            s3_access_key="k",
            s3_secret_key="s",
        )
    )
    assert isinstance(remote, S3ObjectStore)
    remote.put("reports/x.md", b"# report")
    assert remote.get("reports/x.md") == b"# report"
