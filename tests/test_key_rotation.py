"""Rotating the data key: everything re-encrypted, pseudonyms kept, the old key useless."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import LargeBinary, create_engine, select, type_coerce

from bot.cases import store
from bot.cases.tables import Case
from bot.crypto import Cipher, DecryptionError, generate_key
from bot.db import Database, Profile
from bot.settings import ROOT
from tests.conftest import bot_cli


async def test_rotation_keeps_data_and_pseudonyms_and_retires_the_old_key(
    database_url: str,
) -> None:
    old, new = generate_key(), generate_key()
    first = Database(database_url, Cipher(old), ROOT)
    await first.migrate()
    subject = first.cipher.subject("telegram-user", 42)
    async with first.session() as session:
        session.add(Profile(subject=subject, language="ru", onboarded=True, area={"name": "Osh"}))
    await store.submit(
        first,
        submission="x",
        kind="report",
        client=subject,
        client_chat=42,
        language="ru",
        details={"story": "меня задержали"},
    )
    await first.close()

    from bot.db.rotation import rotate_all

    rotating = Database(database_url, Cipher(f"{new},{old}"), ROOT)
    assert rotate_all(rotating) >= 4  # profile area, case chat and story, audit, subject key
    await rotating.close()

    after = Database(database_url, Cipher(new), ROOT)
    await after.migrate()
    assert after.cipher.subject("telegram-user", 42) == subject  # the same pseudonym
    async with after.session() as session:
        profile = (await session.scalars(select(Profile))).one()
        case = (await session.scalars(select(Case))).one()
    assert profile.area == {"name": "Osh"} and case.story == "меня задержали"
    await after.close()

    engine = create_engine(after.sync_url)
    with engine.connect() as connection:
        token = connection.execute(select(type_coerce(Case.story, LargeBinary))).scalar_one()
    engine.dispose()
    with pytest.raises(DecryptionError):
        Cipher(old).decrypt(bytes(token))


def test_rotate_key_command(tmp_path: Path) -> None:
    env = {**os.environ, "OPORA_DATA_DIR": str(tmp_path)}
    env.pop("OPORA_DATA_KEY", None)

    def run(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return bot_cli(*args, env={**env, **extra})

    assert run("migrate").returncode == 0
    before = (tmp_path / "data.key").read_text()
    rotated = run("rotate-key")
    assert rotated.returncode == 0, rotated.stderr
    after = (tmp_path / "data.key").read_text()
    assert after != before and "," not in after
    assert oct((tmp_path / "data.key").stat().st_mode)[-3:] == "600"
    assert run("migrate").returncode == 0  # the database opens with the new key alone
    refused = run("rotate-key", OPORA_DATA_KEY=generate_key())
    assert refused.returncode == 2 and "NEW" not in refused.stderr and "comma" in refused.stderr


def test_a_database_written_with_another_key_is_refused_clearly(tmp_path: Path) -> None:
    env = {**os.environ, "OPORA_DATA_DIR": str(tmp_path), "OPORA_DATA_KEY": generate_key()}
    first = bot_cli("migrate", env=env)
    assert first.returncode == 0
    env["OPORA_DATA_KEY"] = generate_key()
    second = bot_cli("migrate", env=env)
    assert second.returncode == 2 and "written with another OPORA_DATA_KEY" in second.stderr
    assert "Traceback" not in second.stderr
