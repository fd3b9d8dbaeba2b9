"""Encryption at rest and pseudonymous subjects."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.crypto import Cipher, DecryptionError, generate_key, load_or_create_key


def test_round_trip_and_ciphertext_hides_the_value() -> None:
    cipher = Cipher(generate_key())
    token = cipher.encrypt({"text": "меня задержала полиция"})
    assert "полиция".encode() not in token
    assert cipher.decrypt(token) == {"text": "меня задержала полиция"}


def test_subject_is_stable_per_key_and_unlinkable_across_keys() -> None:
    key = generate_key()
    telegram_id = 5_123_456_789
    subject = Cipher(key).subject("telegram-user", telegram_id)
    assert subject == Cipher(key).subject("telegram-user", telegram_id)
    assert subject != Cipher(generate_key()).subject("telegram-user", telegram_id)
    assert str(telegram_id) not in subject
    assert len(subject) == 64


def test_wrong_key_cannot_read() -> None:
    token = Cipher(generate_key()).encrypt([1, 2])
    with pytest.raises(DecryptionError):
        Cipher(generate_key()).decrypt(token)


def test_invalid_key_says_how_to_make_one() -> None:
    with pytest.raises(ValueError, match="keygen"):
        Cipher("not-a-key")


def test_embedded_key_is_created_once_and_private(tmp_path: Path) -> None:
    first = load_or_create_key(tmp_path)
    assert load_or_create_key(tmp_path) == first
    assert (tmp_path / "data.key").stat().st_mode & 0o777 == 0o600
