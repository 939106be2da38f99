"""Ed25519 manifest signing: the server key on disk, canonical JSON, signing and verification."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
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


def _write_new_key(path: Path) -> None:
    """Create a key file readable only by its owner; a concurrent creator wins, we keep its key."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
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


@dataclass(frozen=True)
class SignedManifest:
    """What the gateway sends: the canonical manifest text, its signature and the key that made it."""

    manifest: str
    signature: str
    key_id: str
    algorithm: str = ALGORITHM


class ManifestSigner:
    """Signs manifests with the server key, loaded (or created) from its file on first use."""

    def __init__(self, key_path: Path) -> None:
        self.key_path = Path(key_path)
        self._key: Ed25519PrivateKey | None = None
        self._lock = threading.Lock()

    @property
    def private_key(self) -> Ed25519PrivateKey:
        with self._lock:
            if self._key is None:
                self._key = load_or_create_key(self.key_path)
            return self._key

    @property
    def key_id(self) -> str:
        return key_id(self.private_key.public_key())

    @property
    def public_key_pem(self) -> bytes:
        return public_key_pem(self.private_key.public_key())

    def sign(self, manifest: dict[str, Any]) -> SignedManifest:
        """Sign the canonical form of ``manifest``."""
        body = canonical_json(manifest)
        signature = self.private_key.sign(body)
        return SignedManifest(
            manifest=body.decode("utf-8"),
            signature=base64.b64encode(signature).decode("ascii"),
            key_id=self.key_id,
        )


def verify_manifest(
    signed: dict[str, Any], *, public_key_pem: bytes, device_id: str, now: datetime | None = None
) -> dict[str, Any]:
    """The manifest inside ``signed`` if the server key signed it for this device and it has not expired."""
    try:
        public_key = serialization.load_pem_public_key(public_key_pem)
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
    expires_at = datetime.fromisoformat(manifest["expires_at"])
    if expires_at <= (now or datetime.now(UTC)):
        raise ManifestRejected(
            "expired",
            f"manifest expired at {manifest['expires_at']}: fetch a new one",
            f"danh mục phát đã hết hạn lúc {manifest['expires_at']}: hãy tải lại",
        )
    return manifest
