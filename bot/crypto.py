"""Encryption of personal data at rest, and pseudonymous subject ids.

One data key (Fernet, from OPORA_DATA_KEY) protects everything: it encrypts sensitive columns and
derives the HMAC key that turns a Telegram id into a *subject*, so the database never holds a
Telegram id in the clear. Losing the key makes stored personal data unreadable, by design.
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

from cryptography.fernet import Fernet, InvalidToken

__all__ = ["Cipher", "DecryptionError", "generate_key", "load_or_create_key"]

log = logging.getLogger(__name__)


class DecryptionError(Exception):
    """Stored data could not be decrypted: the data key is not the one it was written with."""


def generate_key() -> str:
    """A new random data key, as OPORA_DATA_KEY expects it."""
    return Fernet.generate_key().decode("ascii")


class Cipher:
    """Encrypts JSON values and derives keyed subject ids from one data key."""

    def __init__(self, key: str) -> None:
        try:
            self._fernet = Fernet(key.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            raise ValueError(
                "OPORA_DATA_KEY is not a valid key; generate one with `python -m bot keygen`"
            ) from None
        raw = base64.urlsafe_b64decode(key)
        self._subject_key = hashlib.sha256(b"opora-subject:" + raw).digest()

    def subject(self, kind: str, value: object) -> str:
        """A stable pseudonym for `value` (e.g. a Telegram user id) that cannot be reversed."""
        message = f"{kind}:{value}".encode()
        return hmac.new(self._subject_key, message, hashlib.sha256).hexdigest()

    def encrypt(self, value: Any) -> bytes:
        return self._fernet.encrypt(json.dumps(value, separators=(",", ":")).encode())

    def decrypt(self, token: bytes) -> Any:
        try:
            return json.loads(self._fernet.decrypt(token))
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
