"""An S3 endpoint where nothing answers: every operation says so in both languages and names the setting."""

from __future__ import annotations

import pytest

from storage.objects import ObjectStoreUnavailable, S3ObjectStore
from tests.conftest import free_port


@pytest.mark.parametrize(
    "operation",
    [
        lambda store: store.put("audio/x.mp3", b"ID3"),
        lambda store: store.get("audio/x.mp3"),
        lambda store: store.exists("audio/x.mp3"),
        lambda store: store.delete("audio/x.mp3"),
        lambda store: store.keys("audio/"),
        lambda store: store.ensure_bucket(),
    ],
    ids=["put", "get", "exists", "delete", "keys", "bucket"],
)
def test_an_s3_server_that_does_not_answer_is_named_with_the_setting_to_check(operation) -> None:  # type: ignore[no-untyped-def]
    endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    store = S3ObjectStore(endpoint=endpoint, bucket="bantin", access_key="any", secret_key="any")

    with pytest.raises(ObjectStoreUnavailable) as caught:
        operation(store)

    error = caught.value
    assert isinstance(error, ConnectionError)  # retried by tasks, unlike bad input
    assert endpoint in error.message_en and endpoint in error.message_vi
    assert "BANTIN_S3_ENDPOINT" in error.message("en") and "BANTIN_S3_ENDPOINT" in error.message("vi")
    assert error.message("vi").startswith("kho lưu trữ đối tượng")
