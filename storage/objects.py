"""Object store for audio, uploads and reports: a local directory or any S3 API, one interface."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Protocol, runtime_checkable

from storage.config import StorageSettings


class ObjectNotFound(KeyError):
    """No object is stored under that key."""


class InvalidKey(ValueError):
    """A key that could escape the store or is empty."""


class ObjectStoreUnavailable(ConnectionError):
    """The S3 server did not answer (down, unreachable, or failing); a later retry may succeed.

    A ``ConnectionError``, not a ``StorageError``: the input was fine, so tasks retry it. S3 writes
    whole objects only, so an interrupted ``put`` leaves nothing under the key.
    """

    code = "object_store_unavailable"

    def __init__(self, endpoint: str, bucket: str, action: str, key: str, cause: BaseException) -> None:
        doing_en, doing_vi = _ACTIONS.get(action, (action, action))
        where = f"S3 {endpoint or '(AWS)'}, bucket {bucket!r}"
        self.message_en = (
            f"the object store ({where}) did not answer while {doing_en} {key!r}: {cause}. Check that the S3 "
            "server is running and that BANTIN_S3_ENDPOINT points to it, then run again; nothing partial was stored"
        )
        self.message_vi = (
            f"kho lưu trữ đối tượng ({where}) không phản hồi khi {doing_vi} {key!r}: {cause}. Hãy kiểm tra máy chủ "
            "S3 đang chạy và BANTIN_S3_ENDPOINT trỏ đúng tới nó, rồi chạy lại; không có dữ liệu dở dang nào được lưu"
        )
        super().__init__(self.message_en)

    def message(self, language: str = "vi") -> str:
        """The message in Vietnamese (``vi``) or English (``en``)."""
        return self.message_vi if language.startswith("vi") else self.message_en


_ACTIONS = {
    "put": ("storing", "lưu"),
    "get": ("reading", "đọc"),
    "exists": ("looking up", "tra cứu"),
    "delete": ("deleting", "xóa"),
    "keys": ("listing", "liệt kê"),
    "bucket": ("opening the bucket for", "mở bucket cho"),
}


@runtime_checkable
class ObjectStore(Protocol):
    """What every object store offers; keys are relative POSIX paths like ``audio/<sha256>.mp3``."""

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None: ...

    def get(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...

    def keys(self, prefix: str = "") -> list[str]: ...

    def url(self, key: str, expires_s: int = 3600) -> str | None: ...


def content_key(data: bytes, prefix: str = "audio", suffix: str = ".mp3") -> str:
    """The content address of ``data``: ``<prefix>/<sha256><suffix>``."""
    return f"{prefix}/{hashlib.sha256(data).hexdigest()}{suffix}"


def put_content(
    store: ObjectStore,
    data: bytes,
    *,
    prefix: str = "audio",
    suffix: str = ".mp3",
    content_type: str = "audio/mpeg",
) -> str:
    """Store ``data`` under its content address once and return the key."""
    key = content_key(data, prefix, suffix)
    if not store.exists(key):
        store.put(key, data, content_type)
    return key


def check_key(key: str) -> str:
    """Reject keys that are empty, absolute or climb out of the store."""
    path = PurePosixPath(key)
    if not key or path.is_absolute() or ".." in path.parts or "\\" in key:
        raise InvalidKey(f"invalid object key {key!r}: use a relative path such as 'audio/<sha256>.mp3'")
    return key


class LocalObjectStore:
    """Objects as files under a root directory; writes are atomic (temp file + rename)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise ObjectNotFound(key) from None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def keys(self, prefix: str = "") -> list[str]:
        found = (p.relative_to(self.root).as_posix() for p in self.root.rglob("*") if p.is_file())
        return sorted(
            k for k in found if k.startswith(prefix) and not PurePosixPath(k).name.startswith(".tmp-")
        )

    def url(self, key: str, expires_s: int = 3600) -> str | None:
        return self._path(key).resolve().as_uri()


class S3ObjectStore:
    """Objects in an S3 bucket through boto3 (AWS, MinIO, SeaweedFS, Ceph...)."""

    def __init__(
        self,
        *,
        endpoint: str,
        bucket: str,
        access_key: str = "",
        secret_key: str = "",
        region: str = "us-east-1",
    ) -> None:
        import boto3
        from botocore.config import Config

        self.bucket, self.endpoint = bucket, endpoint
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint or None,
            aws_access_key_id=access_key or None,
            aws_secret_access_key=secret_key or None,
            region_name=region,
            # a few quick tries here; the tasks calling the store retry on a longer scale
            config=Config(
                retries={"max_attempts": 3, "mode": "standard"},
                connect_timeout=5,
                read_timeout=60,
                s3={"addressing_style": "path"},
            ),
        )

    @contextmanager
    def _answering(self, action: str, key: str) -> Iterator[None]:
        """Turn "the server did not answer" (connection refused or cut, timeout, 5xx) into ObjectStoreUnavailable."""
        from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

        try:
            yield
        except (ConnectionError, HTTPClientError) as exc:
            raise ObjectStoreUnavailable(self.endpoint, self.bucket, action, key, exc) from exc
        except ClientError as exc:
            if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500:
                raise ObjectStoreUnavailable(self.endpoint, self.bucket, action, key, exc) from exc
            raise

    def ensure_bucket(self) -> None:
        """Create the bucket if it does not exist yet."""
        from botocore.exceptions import ClientError

        with self._answering("bucket", ""):
            try:
                self.client.head_bucket(Bucket=self.bucket)
            except ClientError as exc:
                if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500:
                    raise
                self.client.create_bucket(Bucket=self.bucket)

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        with self._answering("put", key):
            self.client.put_object(
                Bucket=self.bucket, Key=check_key(key), Body=data, ContentType=content_type
            )

    def get(self, key: str) -> bytes:
        from botocore.exceptions import ClientError

        try:
            with self._answering("get", key):
                return self.client.get_object(Bucket=self.bucket, Key=check_key(key))["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
                raise ObjectNotFound(key) from None
            raise

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            with self._answering("exists", key):
                self.client.head_object(Bucket=self.bucket, Key=check_key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        with self._answering("delete", key):
            self.client.delete_object(Bucket=self.bucket, Key=check_key(key))

    def keys(self, prefix: str = "") -> list[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        found: list[str] = []
        with self._answering("keys", prefix):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                found.extend(item["Key"] for item in page.get("Contents", []))
        return sorted(found)

    def url(self, key: str, expires_s: int = 3600) -> str | None:
        return self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": check_key(key)}, ExpiresIn=expires_s
        )


def open_object_store(settings: StorageSettings) -> ObjectStore:
    """The store the settings name: S3 when an endpoint is set, else a directory in the data dir."""
    if settings.s3_endpoint:
        store = S3ObjectStore(
            endpoint=settings.s3_endpoint,
            bucket=settings.s3_bucket,
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key,
            region=settings.s3_region,
        )
        store.ensure_bucket()
        return store
    return LocalObjectStore(settings.objects_dir)
