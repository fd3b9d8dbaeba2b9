"""Configuration: config.yml plus environment, with errors that say how to fix them."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import ROOT, SettingsError, load_settings


def test_defaults_from_config_yml() -> None:
    settings = load_settings(env={})
    assert settings.languages.default == "en"
    assert settings.languages.chain("kk") == ("kk", "ru", "en")
    assert settings.countries[:3] == ("KZ", "KG", "TJ")
    assert settings.uses_sqlite
    assert settings.data_dir == ROOT / "data"
    assert settings.database.url == f"sqlite:///{ROOT}/data/opora.sqlite3"
    assert settings.bot_token == ""


def test_environment_overrides_and_secrets() -> None:
    settings = load_settings(
        env={
            "DATABASE_URL": "postgresql+psycopg://db/opora",
            "OPORA_DATA_KEY": "k" * 43 + "=",
            "OPORA_NLU__TIMEOUT_SECONDS": "5",
            "OPORA_PARALEGALS__GROUPS": '{"KZ": -100123}',
            "TELEGRAM_BOT_TOKEN": "1:abc",
            "OPORA_DATA_DIR": "/srv/opora",
            "OPORA_PERSISTENCE_INTERVAL_SECONDS": "2.5",
            "OPORA_CONFIG": "ignored here",
        }
    )
    assert settings.data_dir == Path("/srv/opora")
    assert settings.persistence_interval_seconds == 2.5
    assert settings.database.url == "postgresql+psycopg://db/opora"
    assert settings.nlu.timeout_seconds == 5
    assert settings.paralegals.groups == {"KZ": -100123}
    assert settings.bot_token == "1:abc"


def test_bad_value_names_the_key_and_the_environment_variable() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(env={"OPORA_NLU__TIMEOUT_SECONDS": "-1"})
    message = str(caught.value)
    assert "nlu.timeout_seconds" in message
    assert "OPORA_NLU__TIMEOUT_SECONDS" in message
    assert "-1" in message


def test_unknown_fallback_language_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "config.yml"
    text = (ROOT / "config.yml").read_text().replace("kk: [ru, en]", "kk: [de, en]")
    config.write_text(text)
    with pytest.raises(SettingsError, match="'de' is not in supported"):
        load_settings(config, env={})


def test_secrets_in_config_file_are_refused(tmp_path: Path) -> None:
    config = tmp_path / "config.yml"
    config.write_text((ROOT / "config.yml").read_text() + "\nbot_token: 123:abc\n")
    with pytest.raises(SettingsError, match="TELEGRAM_BOT_TOKEN"):
        load_settings(config, env={})


def test_postgres_without_a_data_key_is_refused() -> None:
    with pytest.raises(SettingsError, match=r"python -m bot keygen"):
        load_settings(env={"DATABASE_URL": "postgresql+psycopg://db/opora"})


def test_missing_config_file_says_where(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="OPORA_CONFIG"):
        load_settings(tmp_path / "nope.yml", env={})


def test_unknown_database_is_refused() -> None:
    with pytest.raises(SettingsError, match=r"database\.url"):
        load_settings(env={"DATABASE_URL": "mysql://x"})


def test_invalid_data_key_is_refused_at_start() -> None:
    with pytest.raises(SettingsError, match=r"python -m bot keygen") as caught:
        load_settings(env={"OPORA_DATA_KEY": "not-a-key"})
    assert "not-a-key" not in str(caught.value)
