"""docs/deploy.md: every block marked "runs in CI" runs here, in order, on a scratch database;
the systemd units it installs pass `systemd-analyze verify`."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import uuid
from pathlib import Path

import psycopg
import pytest

from bot.settings import ROOT
from tests.conftest import PG_ADMIN, _unavailable, cli_env

DOC = ROOT / "docs" / "deploy.md"


def ci_blocks() -> list[str]:
    return re.findall(r"<!-- ci -->\n```sh\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def test_the_guide_has_its_runnable_blocks() -> None:
    blocks = ci_blocks()
    script = "\n".join(blocks)
    for command in ("db upgrade", "db check", "pg_dump", "pg_restore", "rotate-key", "keygen"):
        assert command in script
    assert len(blocks) == 8


@pytest.mark.postgres
def test_every_command_marked_for_ci_runs(tmp_path: Path) -> None:
    if os.geteuid() != 0 or shutil.which("runuser") is None:
        _unavailable("the guide's commands run as root (runuser -u postgres)")
    try:
        psycopg.connect(PG_ADMIN, connect_timeout=3).close()
    except psycopg.OperationalError:
        _unavailable(f"PostgreSQL is not reachable at {PG_ADMIN}")
    name = f"opora_doc_{uuid.uuid4().hex[:8]}"
    env = cli_env(
        OPORA_HOME=str(ROOT),
        OPORA_ETC=str(tmp_path / "etc"),
        BACKUPS=str(tmp_path / "backups"),
        DB=name,
        DB_USER=name,
        PGHOST="127.0.0.1",
    )
    script = "set -euo pipefail\n" + "\n".join(ci_blocks())
    try:
        result = subprocess.run(
            ["bash", "-c", script],
            cwd="/",
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        output = result.stdout + result.stderr
        assert result.returncode == 0, output[-3000:]
        # db check after the schema, after the restore (scratch copy), after upgrade, after
        # rotating the key: four times "current, and the key reads it".
        assert output.count("the data key reads it") == 4, output
        assert "Re-encrypted" in output
        assert "webhook mode at https://bot.example.org/telegram" in output
        env_file = (tmp_path / "etc" / "opora.env").read_text(encoding="utf-8")
        assert (tmp_path / "etc" / "opora.env").stat().st_mode & 0o077 == 0
        assert list((tmp_path / "backups").glob("opora-*.dump"))
        # The key in the file is the new one, and it is not the one the backup was made with.
        assert env_file.count("OPORA_DATA_KEY=") == 1
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            for database in (name, f"{name}_restored"):
                admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            admin.execute(f'DROP ROLE IF EXISTS "{name}"')


def test_the_systemd_units_verify(tmp_path: Path) -> None:
    """The unit files as installed (paths pointed at this checkout), checked by systemd."""
    if shutil.which("systemd-analyze") is None:
        _unavailable("systemd-analyze is not installed")
    for unit in ("opora-bot.service", "opora-nlu@.service"):
        text = (ROOT / "docs" / "deploy" / unit).read_text(encoding="utf-8")
        assert "User=opora" in text and "EnvironmentFile=/etc/opora/opora.env" in text
        (tmp_path / unit).write_text(text.replace("/opt/opora", str(ROOT)), encoding="utf-8")
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", "opora-bot.service", "opora-nlu@5005.service"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    # systemd only warns about values it ignores ("Failed to parse …, ignoring"): none allowed.
    assert result.returncode == 0, result.stderr
    assert "opora" not in result.stdout + result.stderr, result.stdout + result.stderr


@pytest.mark.postgres
def test_db_check_says_what_is_wrong(postgres_url: str, tmp_path: Path) -> None:
    from bot.crypto import generate_key
    from tests.conftest import bot_cli

    key = generate_key()
    env = cli_env(DATABASE_URL=postgres_url, OPORA_DATA_KEY=key)
    empty = bot_cli("db", "check", env=env)
    assert empty.returncode == 1 and "db upgrade" in empty.stdout
    assert bot_cli("db", "upgrade", env=env).returncode == 0
    good = bot_cli("db", "check", env=env)
    assert good.returncode == 0 and "the data key reads it" in good.stdout
    other_key = bot_cli("db", "check", env={**env, "OPORA_DATA_KEY": generate_key()})
    assert other_key.returncode == 1 and "another OPORA_DATA_KEY" in other_key.stdout
    gone = postgres_url.rsplit("/", 1)[0].replace("5432", "1") + "/nothing"
    down = bot_cli("db", "check", env={**env, "DATABASE_URL": gone})
    assert down.returncode == 2 and "cannot open the database" in down.stderr
    # The password never shows.
    assert key not in good.stdout + good.stderr
