"""Ed25519 manifest signing: the server keys on disk, rotation, canonical JSON, signing and verification.

The active key signs manifests; ``rotate_key`` makes a new active key and keeps the old one (as a
retired key, still published and still co-signing the key set) until it expires. Devices hold a key
set: they accept a manifest signed by any key in it that has not expired, and they take a new key set
only when a key they already trust signed it (``update_key_set``), so a rotation needs no re-provisioning.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALGORITHM = "Ed25519"
KEY_FILE = Path("keys") / "manifest-ed25519.pem"


class ManifestRejected(Exception):
    """A manifest a device must not play: bad signature, wrong device, expired or unreadable."""

    def __init__(self, reason: str, message_en: str, message_vi: str) -> None:
        super().__init__(message_en)
        self.reason = reason
        self.message_en = message_en
        self.message_vi = message_vi


def canonical_json(value: Any) -> bytes:
    """The one byte form that is signed: sorted keys, compact separators, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def default_key_path(data_dir: Path) -> Path:
    """Where the gateway keeps its manifest signing key inside the data dir."""
    return Path(data_dir) / KEY_FILE


def key_id(public_key: Ed25519PublicKey) -> str:
    """A short stable name for a public key: the first 16 hex digits of sha256 of its raw bytes."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_key_pem(public_key: Ed25519PublicKey) -> bytes:
    """A public key as PEM (SubjectPublicKeyInfo)."""
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _private_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _write_new_key(path: Path) -> None:
    """Create a key file readable only by its owner; a concurrent creator wins, we keep its key."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    pem = _private_pem(Ed25519PrivateKey.generate())
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """The private key at ``path``, generated (mode 0600) on first use."""
    path = Path(path)
    if not path.exists():
        _write_new_key(path)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key; move it away to make a new one")
    return key


# How long a retired key stays valid after a rotation unless told otherwise: long enough for every
# device to fetch the new key set (it polls its manifest every minute) and for old manifests to expire.
DEFAULT_RETIRED_KEY_DAYS = 14


def retired_dir(key_path: Path) -> Path:
    """Where retired keys of the active key at ``key_path`` are kept until they expire."""
    return Path(key_path).parent / "retired"


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, readable only by its owner."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


@dataclass(frozen=True)
class RetiredKey:
    """A key that no longer signs manifests but stays in the published key set until ``expires_at``."""

    key: Ed25519PrivateKey
    key_id: str
    expires_at: datetime


def retired_keys(key_path: Path, now: datetime | None = None) -> list[RetiredKey]:
    """The retired keys that have not expired at ``now``, newest expiry first."""
    now = now or datetime.now(UTC)
    found = []
    directory = retired_dir(key_path)
    for meta_path in sorted(directory.glob("*.json")) if directory.is_dir() else []:
        try:
            meta = json.loads(meta_path.read_text())
            expires_at = datetime.fromisoformat(meta["expires_at"])
            key = serialization.load_pem_private_key(meta_path.with_suffix(".pem").read_bytes(), None)
        except (OSError, ValueError, KeyError):
            continue  # half-written or damaged: not trusted
        if isinstance(key, Ed25519PrivateKey) and expires_at > now:
            found.append(RetiredKey(key, key_id(key.public_key()), expires_at))
    return sorted(found, key=lambda r: r.expires_at, reverse=True)


def rotate_key(
    key_path: Path,
    *,
    keep_old: timedelta = timedelta(days=DEFAULT_RETIRED_KEY_DAYS),
    now: datetime | None = None,
) -> tuple[str, str, datetime]:
    """Make a new active signing key; the old one is retired, valid until ``now + keep_old``.

    Returns (new key id, old key id, old key's expiry). Expired retired keys are deleted. A running
    gateway picks the new key up within a second.
    """
    key_path = Path(key_path)
    now = now or datetime.now(UTC)
    old = load_or_create_key(key_path)
    old_id, expires_at = key_id(old.public_key()), now + keep_old
    directory = retired_dir(key_path)
    _write_private(directory / f"{old_id}.pem", _private_pem(old))
    meta = {"key_id": old_id, "retired_at": now.isoformat(), "expires_at": expires_at.isoformat()}
    _write_private(directory / f"{old_id}.json", json.dumps(meta).encode())
    new = Ed25519PrivateKey.generate()
    _write_private(key_path, _private_pem(new))
    for meta_path in directory.glob("*.json"):
        try:
            expired = datetime.fromisoformat(json.loads(meta_path.read_text())["expires_at"]) <= now
        except (OSError, ValueError, KeyError):
            continue
        if expired:
            meta_path.with_suffix(".pem").unlink(missing_ok=True)
            meta_path.unlink(missing_ok=True)
    return key_id(new.public_key()), old_id, expires_at


@dataclass(frozen=True)
class SignedManifest:
    """What the gateway sends: the canonical manifest text, its signature and the key that made it."""

    manifest: str
    signature: str
    key_id: str
    algorithm: str = ALGORITHM


class ManifestSigner:
    """Signs manifests with the active key, loaded (or created) from its file; a rotation is seen within a second."""

    RECHECK_SECONDS = 1.0

    def __init__(self, key_path: Path) -> None:
        self.key_path = Path(key_path)
        self._key: Ed25519PrivateKey | None = None
        self._key_id = ""
        self._stamp: tuple[int, int] | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    @property
    def private_key(self) -> Ed25519PrivateKey:
        return self._active()[0]

    def _active(self) -> tuple[Ed25519PrivateKey, str]:
        """The active key and its id (computed once per key, not per signature)."""
        with self._lock:
            now = time.monotonic()
            if self._key is None or now - self._checked >= self.RECHECK_SECONDS:
                self._checked = now
                stamp = self._file_stamp()
                if self._key is None or stamp != self._stamp:
                    self._key = load_or_create_key(self.key_path)
                    self._key_id = key_id(self._key.public_key())
                    self._stamp = self._file_stamp()
            return self._key, self._key_id

    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            info = self.key_path.stat()
        except FileNotFoundError:
            return None
        return info.st_ino, info.st_mtime_ns

    @property
    def key_id(self) -> str:
        return self._active()[1]

    @property
    def public_key_pem(self) -> bytes:
        return public_key_pem(self.private_key.public_key())

    def sign(self, manifest: dict[str, Any]) -> SignedManifest:
        """Sign the canonical form of ``manifest`` with the active key; a ``key_id`` field in it is set to that key's."""
        key, active_id = self._active()
        if "key_id" in manifest:
            manifest = {**manifest, "key_id": active_id}
        body = canonical_json(manifest)
        return SignedManifest(
            manifest=body.decode("utf-8"),
            signature=base64.b64encode(key.sign(body)).decode("ascii"),
            key_id=active_id,
        )

    def key_set(self, now: datetime | None = None) -> dict[str, Any]:
        """The published key set: the active key and unexpired retired ones, signed by each of them.

        ``key_set`` is canonical JSON of ``{"keys": [{"key_id", "algorithm",
        "public_key_pem", "expires_at"}]}`` (``expires_at`` null for the active key); ``signatures``
        holds one base64 Ed25519 signature of its UTF-8 bytes per key.
        """
        now = now or datetime.now(UTC)
        active = self.private_key
        keys: list[tuple[Ed25519PrivateKey, datetime | None]] = [(active, None)]
        keys += [
            (r.key, r.expires_at)
            for r in retired_keys(self.key_path, now)
            if r.key_id != key_id(active.public_key())
        ]
        document = {
            "keys": [
                {
                    "key_id": key_id(k.public_key()),
                    "algorithm": ALGORITHM,
                    "public_key_pem": public_key_pem(k.public_key()).decode("ascii"),
                    "expires_at": expires.isoformat() if expires else None,
                }
                for k, expires in keys
            ],
        }
        body = canonical_json(document)
        signatures = [
            {"key_id": key_id(k.public_key()), "signature": base64.b64encode(k.sign(body)).decode("ascii")}
            for k, _ in keys
        ]
        return {"key_set": body.decode("utf-8"), "signatures": signatures, "keys": document["keys"]}


def _usable(key: dict[str, Any], now: datetime) -> Ed25519PublicKey | None:
    """The public key of a key-set entry if it is Ed25519 and has not expired at ``now``."""
    expires = key.get("expires_at")
    try:
        if expires and datetime.fromisoformat(expires) <= now:
            return None
        public = serialization.load_pem_public_key(str(key["public_key_pem"]).encode("ascii"))
    except (KeyError, TypeError, ValueError):
        return None
    return public if isinstance(public, Ed25519PublicKey) else None


def update_key_set(
    trusted: list[dict[str, Any]], published: dict[str, Any], *, now: datetime | None = None
) -> list[dict[str, Any]]:
    """The keys of a published key set, if a key the device already trusts (unexpired) signed it."""
    now = now or datetime.now(UTC)
    body = str(published.get("key_set", "")).encode("utf-8")
    by_id = {k.get("key_id"): k for k in trusted}
    for entry in published.get("signatures") or []:
        key = by_id.get(entry.get("key_id"))
        public = _usable(key, now) if key else None
        if public is None:
            continue
        try:
            public.verify(base64.b64decode(str(entry.get("signature")), validate=True), body)
        except (InvalidSignature, ValueError):
            continue
        return list(json.loads(body)["keys"])
    raise ManifestRejected(
        "key_set",
        "the published key set is not signed by any key this device trusts (or they all expired): keep "
        "the old key set and re-provision the device with the gateway's key set",
        "bộ khóa công bố không được ký bởi khóa nào thiết bị đang tin (hoặc các khóa đã hết hạn): giữ bộ "
        "khóa cũ và cài lại bộ khóa của máy chủ cho thiết bị",
    )


def verify_manifest(
    signed: dict[str, Any],
    *,
    device_id: str,
    public_key_pem: bytes | None = None,
    key_set: list[dict[str, Any]] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The manifest inside ``signed`` if a trusted key signed it for this device and it has not expired.

    Trust is one public key (``public_key_pem``) or a key set (``key_set``, as ``update_key_set``
    returns it): the key named by ``signed["key_id"]`` must be in it and not expired.
    """
    now = now or datetime.now(UTC)
    public_key: Any = None
    if key_set is not None:
        entry = next((k for k in key_set if k.get("key_id") == signed.get("key_id")), None)
        public_key = _usable(entry, now) if entry else None
        if public_key is None:
            raise ManifestRejected(
                "key",
                f"manifest signed with key {str(signed.get('key_id'))[:40]!r}, which is not in this device's "
                "key set or has expired: fetch the key set (GET /v1/keys/manifest), then the manifest",
                f"danh mục phát được ký bằng khóa {str(signed.get('key_id'))[:40]!r} không có trong bộ khóa "
                "của thiết bị hoặc đã hết hạn: hãy tải bộ khóa rồi tải lại danh mục phát",
            )
    try:
        if public_key is None:
            public_key = serialization.load_pem_public_key(public_key_pem or b"")
        body = str(signed["manifest"]).encode("utf-8")
        signature = base64.b64decode(str(signed["signature"]), validate=True)
        if not isinstance(public_key, Ed25519PublicKey):
            raise ValueError("not an Ed25519 key")
        public_key.verify(signature, body)
    except (InvalidSignature, KeyError, TypeError, ValueError) as exc:
        raise ManifestRejected(
            "signature",
            f"manifest signature does not verify with the server key ({type(exc).__name__}): not played",
            "chữ ký danh mục phát không khớp khóa máy chủ: không phát",
        ) from None
    manifest = json.loads(body)
    if manifest.get("device_id") != device_id:
        raise ManifestRejected(
            "device",
            f"manifest is for device {manifest.get('device_id')!r}, not {device_id!r}: not played",
            f"danh mục phát dành cho thiết bị {manifest.get('device_id')!r}, không phải {device_id!r}",
        )
    named = manifest.get("key_id")
    if named is not None and named != key_id(public_key):
        raise ManifestRejected(
            "key",
            f"manifest names key {str(named)[:40]!r} but was signed by another key: not played",
            "danh mục phát ghi một khóa nhưng được ký bằng khóa khác: không phát",
        )
    expires_at = datetime.fromisoformat(manifest["expires_at"])
    if expires_at <= now:
        raise ManifestRejected(
            "expired",
            f"manifest expired at {manifest['expires_at']}: fetch a new one",
            f"danh mục phát đã hết hạn lúc {manifest['expires_at']}: hãy tải lại",
        )
    return manifest
