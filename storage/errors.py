"""Errors raised by the data layer, each with a Vietnamese and an English message."""

from __future__ import annotations


class StorageError(ValueError):
    """Bad input to the data layer; nothing was written. ``str(err)`` is the English message."""

    code = "storage_error"

    def __init__(self, message_en: str, message_vi: str) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_vi = message_vi

    def message(self, language: str = "vi") -> str:
        """The message in Vietnamese (``vi``) or English (``en``)."""
        return self.message_vi if language.startswith("vi") else self.message_en


class UnknownUnit(StorageError):
    code = "unknown_unit"


class UnknownDevice(StorageError):
    code = "unknown_device"


class DeviceAuthError(StorageError):
    code = "device_auth"


class UnknownBulletin(StorageError):
    code = "unknown_bulletin"


class InvalidDraft(StorageError):
    code = "invalid_draft"


class InvalidImport(StorageError):
    code = "invalid_import"


class UnknownPerson(StorageError):
    code = "unknown_person"


class InvalidPerson(StorageError):
    code = "invalid_person"


class SecretKeyMismatch(StorageError):
    code = "secret_key_mismatch"


class CodeRejected(StorageError):
    code = "code_rejected"


class NotAuthorised(StorageError):
    code = "not_authorised"


class ReviewClosed(StorageError):
    code = "review_closed"


class InvalidDecision(StorageError):
    code = "invalid_decision"


class VersionFrozen(StorageError):
    code = "version_frozen"


class LinkRejected(StorageError):
    code = "link_rejected"
