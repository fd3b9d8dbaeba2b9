"""Column types that encrypt at the model boundary, so no caller can forget to."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import LargeBinary
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from bot.crypto import Cipher

__all__ = ["EncryptedJSON", "attach_cipher", "utc"]

_ATTR = "opora_cipher"


def utc(moment: dt.datetime) -> dt.datetime:
    """A stored time as an aware UTC time: SQLite gives naive datetimes back, and every time
    Opora stores is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def attach_cipher(dialect: Dialect, cipher: Cipher) -> None:
    """Give one engine its cipher; the key travels with the engine, not with a global."""
    setattr(dialect, _ATTR, cipher)


def _cipher(dialect: Dialect) -> Cipher:
    cipher = getattr(dialect, _ATTR, None)
    if cipher is None:
        raise RuntimeError("this engine has no cipher; open it through bot.db.Database")
    return cipher  # type: ignore[no-any-return]


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON value stored as Fernet ciphertext."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> bytes | None:
        return None if value is None else _cipher(dialect).encrypt(value)

    def process_result_value(self, value: bytes | None, dialect: Dialect) -> Any:
        return None if value is None else _cipher(dialect).decrypt(value)
