"""Encryption of personal data at rest, and pseudonymous subject ids.

One data key (Fernet, from OPORA_DATA_KEY) protects everything: it encrypts sensitive columns and
the HMAC key that turns a Telegram id into a *subject*, so the database never holds a Telegram id
in the clear. Losing the key makes stored personal data unreadable, by design.

Rotation: OPORA_DATA_KEY may list keys newest first ("new,old"); new data is encrypted with the
first, every listed key can read, and `python -m bot rotate-key` re-encrypts everything with the
first so the old one can be dropped. The subject key is stored in the database (encrypted), so
pseudonyms survive a rotation.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

__all__ = ["Cipher", "DecryptionError", "generate_key", "load_or_create_key"]

log = logging.getLogger(__name__)


class DecryptionError(Exception):
    """Stored data could not be decrypted: the data key is not the one it was written with."""


def generate_key() -> str:
    """A new random data key, as OPORA_DATA_KEY expects it."""
    return Fernet.generate_key().decode("ascii")


def _fernet(key: str) -> Fernet:
    try:
        return Fernet(key.strip().encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise ValueError(
            "OPORA_DATA_KEY is not a valid key; generate one with `python -m bot keygen`"
        ) from None


def derived_subject_key(key: str) -> bytes:
    """The subject key a database gets when it is first created (from its first data key)."""
    raw = base64.urlsafe_b64decode(key.split(",")[0].strip())
    return hashlib.sha256(b"opora-subject:" + raw).digest()


class Cipher:
    """Encrypts JSON values with the data key(s) and derives keyed subject ids."""

    def __init__(self, key: str) -> None:
        keys = [part for part in key.split(",") if part.strip()]
        if not keys:
            raise ValueError("OPORA_DATA_KEY is empty; generate one with `python -m bot keygen`")
        self._fernets = [_fernet(part) for part in keys]
        self._multi = MultiFernet(self._fernets)
        self.rotating = len(keys) > 1
        # Replaced by the database's stored subject key when it is opened (Database.migrate).
        self.subject_key = derived_subject_key(key)

    def subject(self, kind: str, value: object) -> str:
        """A stable pseudonym for `value` (e.g. a Telegram user id) that cannot be reversed."""
        message = f"{kind}:{value}".encode()
        return hmac.new(self.subject_key, message, hashlib.sha256).hexdigest()

    def encrypt(self, value: Any) -> bytes:
        return self._multi.encrypt(json.dumps(value, separators=(",", ":")).encode())

    def decrypt(self, token: bytes) -> Any:
        try:
            return json.loads(self._multi.decrypt(token))
        except InvalidToken:
            raise DecryptionError("stored data does not match OPORA_DATA_KEY") from None

    def rotate(self, token: bytes) -> bytes:
        """The same value, encrypted with the newest key."""
        try:
            return self._multi.rotate(token)
        except InvalidToken:
            raise DecryptionError("stored data does not match OPORA_DATA_KEY") from None


def load_or_create_key(data_dir: Path) -> str:
    """The embedded default's key: kept in the data directory, created on first start."""
    path = data_dir / "data.key"
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = generate_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    log.warning("Created a new data key in %s; back it up, or stored data becomes unreadable", path)
    return key
