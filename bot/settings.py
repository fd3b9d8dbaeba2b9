"""One typed settings object, read once from config.yml plus environment overrides.

Secrets (bot token, data key, NLU auth token) are read only from the environment. Any wrong or
missing value raises :class:`SettingsError` whose message says what to change.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from cryptography.fernet import Fernet
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

__all__ = ["ROOT", "Settings", "SettingsError", "load_settings"]

ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "OPORA_"

# Well-known environment names that override a config key.
ENV_ALIASES = {
    "DATABASE_URL": ("database", "url"),
    "TELEGRAM_BASE_URL": ("telegram", "base_url"),
    "TELEGRAM_MODE": ("telegram", "mode"),
    "NLU_URL": ("nlu", "url"),
    "TELEGRAM_WEBHOOK_URL": ("telegram", "webhook", "url"),
}


class SettingsError(Exception):
    """A configuration value is wrong or missing; the message says how to fix it."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LanguageSettings(_Section):
    default: str
    supported: tuple[str, ...]
    fallbacks: dict[str, tuple[str, ...]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known_languages(self) -> LanguageSettings:
        if self.default not in self.supported:
            raise ValueError(f"default language {self.default!r} is not in supported")
        for lang, chain in self.fallbacks.items():
            for code in (lang, *chain):
                if code not in self.supported:
                    raise ValueError(f"fallback language {code!r} is not in supported")
        return self

    def chain(self, lang: str) -> tuple[str, ...]:
        """The languages to try for `lang`, best first, ending with the default."""
        order = [lang, *self.fallbacks.get(lang, ()), self.default]
        return tuple(dict.fromkeys(code for code in order if code in self.supported))


class WebhookSettings(_Section):
    # The address Telegram is told to post updates to (https, through the reverse proxy).
    url: str = ""
    # Where the bot's own HTTP server listens (the reverse proxy forwards to it).
    listen: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    # The path of the update endpoint on that server; /healthz and /metrics sit beside it.
    path: str = "/telegram"
    # How many updates Telegram may post at once (1-100).
    max_connections: int = Field(default=40, ge=1, le=100)
    # Updates handled at the same time; one person's updates are always handled in order.
    concurrency: int = Field(default=32, ge=1)

    @field_validator("path")
    @classmethod
    def _absolute(cls, path: str) -> str:
        if not path.startswith("/") or path in {"/healthz", "/metrics"}:
            raise ValueError("must start with / and not be /healthz or /metrics")
        return path


class TelegramSettings(_Section):
    mode: Literal["polling", "webhook"] = "polling"
    base_url: str = ""
    poll_timeout_seconds: float = Field(default=10, ge=0, le=50)
    # Keep under Telegram's flood limits (30 messages/s, 20/minute per group). Only a local
    # test server, which has no limits, may turn this off.
    flood_limits: bool = True
    webhook: WebhookSettings = Field(default_factory=WebhookSettings)


class NluSettings(_Section):
    # One URL, or several replicas separated by commas (or a YAML list): requests are spread
    # over the healthy ones.
    url: str | tuple[str, ...]
    timeout_seconds: float = Field(gt=0, le=60)
    confidence_threshold: float = Field(ge=0, le=1)
    manage: Literal["embedded", "external"] = "embedded"
    startup_wait_seconds: float = Field(default=120, ge=0)
    # How often a replica marked down is asked whether it is back.
    probe_interval_seconds: float = Field(default=5, gt=0)

    @property
    def urls(self) -> tuple[str, ...]:
        raw = self.url.split(",") if isinstance(self.url, str) else self.url
        return tuple(part.strip().rstrip("/") for part in raw if part.strip())

    @model_validator(mode="after")
    def _some_url(self) -> NluSettings:
        if not self.urls:
            raise ValueError("nlu.url needs at least one URL")
        if self.manage == "embedded" and len(self.urls) > 1:
            raise ValueError("an embedded NLU service has one URL; set manage: external")
        return self


class DatabaseSettings(_Section):
    url: str
    # PostgreSQL connection pool: connections kept open, extra ones allowed under load, and
    # seconds to wait for a free one. A connection is tested before use, so the bot reconnects
    # by itself after the server restarts.
    pool_size: int = Field(default=20, ge=1)
    max_overflow: int = Field(default=10, ge=0)
    pool_timeout_seconds: float = Field(default=10, gt=0)
    connect_timeout_seconds: int = Field(default=5, ge=1)

    @field_validator("url")
    @classmethod
    def _supported_backend(cls, url: str) -> str:
        if url and not url.startswith(("sqlite", "postgresql")):
            raise ValueError("only sqlite:/// and postgresql+psycopg:// URLs are supported")
        return url


class ParalegalSettings(_Section):
    groups: dict[str, int] = Field(default_factory=dict)
    # Telegram ids of coordinators (statistics, exports); everyone else is refused.
    coordinators: tuple[int, ...] = ()
    # Language of case cards and workspace messages.
    language: str = "ru"
    # Unclaimed cases are announced again after this many minutes (urgent ones ping at once).
    reannounce_minutes: float = Field(default=120, gt=0)
    # Telegram ids of the paralegals on duty, per country code or "default": an urgent case
    # ("detained right now") also reaches them in a private message from the bot.
    on_duty: dict[str, tuple[int, ...]] = Field(default_factory=dict)


class RetentionSettings(_Section):
    closed_case_days: int = Field(gt=0)
    inactive_profile_days: int = Field(gt=0)


class SafetySettings(_Section):
    # Per person: this many messages in a burst, refilled at `per_minute`; beyond it the bot
    # says so once and reads nothing (no NLU call) until the person slows down.
    burst: int = Field(default=12, ge=1)
    per_minute: float = Field(default=30, gt=0)
    # Disappearing messages: the choices offered, in seconds.
    disappear_choices_seconds: tuple[int, ...] = (60, 600, 3600, 86400)
    # How often due disappearing messages are deleted.
    sweep_interval_seconds: float = Field(default=5, gt=0)
    # The retention job runs this long after start, then once a day.
    retention_first_run_seconds: float = Field(default=60, ge=0)

    @field_validator("disappear_choices_seconds")
    @classmethod
    def _deletable(cls, choices: tuple[int, ...]) -> tuple[int, ...]:
        for seconds in choices:
            if not 1 <= seconds <= 47 * 3600:
                raise ValueError("each choice must be 1 s to 47 h (Telegram deletes up to 48 h)")
        return choices


class StatsSettings(_Section):
    # Smallest count published in statistics, charts and exports; smaller ones are merged or
    # hidden so that no count points at a person.
    threshold: int = Field(default=5, ge=3)


class ContentSettings(_Section):
    # Where answers and translations are read from (relative paths are from the repository).
    content_dir: Path = Path("content")
    locales_dir: Path = Path("locales")
    # Seconds between checks for edited files; 0 turns the watcher off (SIGHUP still reloads).
    reload_interval_seconds: float = Field(default=2.0, ge=0)


class Settings(_Section):
    languages: LanguageSettings
    countries: tuple[str, ...]
    telegram: TelegramSettings
    nlu: NluSettings
    database: DatabaseSettings
    data_dir: Path
    persistence_interval_seconds: float = Field(gt=0, le=600)
    paralegals: ParalegalSettings
    retention: RetentionSettings
    safety: SafetySettings = Field(default_factory=SafetySettings)
    stats: StatsSettings = Field(default_factory=StatsSettings)
    content: ContentSettings = Field(default_factory=ContentSettings)
    # Secrets: environment only.
    bot_token: str = ""
    data_key: str = ""
    nlu_auth_token: str = ""
    webhook_secret: str = ""

    @field_validator("countries")
    @classmethod
    def _iso_countries(cls, codes: tuple[str, ...]) -> tuple[str, ...]:
        for code in codes:
            if len(code) != 2 or not code.isalpha() or not code.isupper():
                raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 code such as KZ")
        return codes

    @field_validator("data_key")
    @classmethod
    def _valid_key(cls, key: str) -> str:
        if key:
            try:
                # Several keys, newest first, while rotating: "NEW,OLD".
                for part in key.split(","):
                    Fernet(part.strip().encode("ascii"))
            except (ValueError, UnicodeEncodeError):
                raise ValueError(
                    "OPORA_DATA_KEY is not a valid key; generate one with `python -m bot keygen`"
                ) from None
        return key

    @property
    def uses_sqlite(self) -> bool:
        return self.database.url.startswith("sqlite")


def _set_path(tree: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = tree
    for key in path[:-1]:
        node = node.setdefault(key, {})
        if not isinstance(node, dict):
            raise SettingsError(f"{'.'.join(path)}: cannot override inside a non-section value")
    node[path[-1]] = value


def _env_value(raw: str) -> Any:
    """Environment values may be JSON (numbers, lists, objects); anything else is a string."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _apply_env(tree: dict[str, Any], env: Mapping[str, str]) -> None:
    for name, path in ENV_ALIASES.items():
        if env.get(name):
            _set_path(tree, path, env[name])
    for name, raw in env.items():
        if not name.startswith(ENV_PREFIX):
            continue
        keys = tuple(part.lower() for part in name[len(ENV_PREFIX) :].split("__"))
        # Only configuration keys: OPORA_DATA_KEY and other OPORA_* names are not settings.
        if keys[0] in _SECRET_ENV or keys[0] not in Settings.model_fields:
            continue
        _set_path(tree, keys, raw if keys == ("data_dir",) else _env_value(raw))


def _describe(error: ValidationError, config_path: Path) -> str:
    lines = [f"Opora cannot start: {config_path} has values it cannot use."]
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "(top level)"
        secret = str(item["loc"][0]) in _SECRET_ENV if item["loc"] else False
        env_name = (
            _SECRET_ENV[str(item["loc"][0])]
            if secret
            else ENV_PREFIX + "__".join(str(p).upper() for p in item["loc"])
        )
        got = item.get("input")
        # Never echo a secret back into a terminal or a log.
        shown = "" if secret or isinstance(got, dict) else f" (got {got!r})"
        lines.append(
            f"  - {where}: {item['msg']}{shown}. Fix it in {config_path.name} or set {env_name}."
        )
    return "\n".join(lines)


def load_settings(
    config_path: Path | None = None, env: Mapping[str, str] | None = None
) -> Settings:
    """Read config.yml, apply environment overrides and secrets, and validate everything."""
    config_path = config_path or Path(os.environ.get("OPORA_CONFIG", ROOT / "config.yml"))
    env = os.environ if env is None else env
    try:
        tree = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise SettingsError(
            f"Opora cannot start: {config_path} does not exist. Run from the repository root "
            "or point OPORA_CONFIG at your config.yml."
        ) from None
    except yaml.YAMLError as exc:
        raise SettingsError(f"Opora cannot start: {config_path} is not valid YAML: {exc}") from None
    if not isinstance(tree, dict):
        raise SettingsError(f"Opora cannot start: {config_path} must be a YAML mapping.")
    for secret in _SECRET_ENV:
        if secret in tree:
            raise SettingsError(
                f"Opora cannot start: {config_path} contains the secret {secret!r}. Secrets are "
                f"read only from the environment; remove it and set {_SECRET_ENV[secret]}."
            )
    _apply_env(tree, env)
    for secret, name in _SECRET_ENV.items():
        tree[secret] = env.get(name, "").strip()
    data_dir = Path(tree.get("data_dir", "data"))
    data_dir = data_dir if data_dir.is_absolute() else ROOT / data_dir
    tree["data_dir"] = data_dir
    database = tree.setdefault("database", {})
    if isinstance(database, dict) and not database.get("url"):
        database["url"] = f"sqlite:///{data_dir / 'opora.sqlite3'}"
    try:
        settings = Settings.model_validate(tree)
    except ValidationError as exc:
        raise SettingsError(_describe(exc, config_path)) from None
    _refuse_unsafe(settings)
    return settings


_SECRET_ENV = {
    "bot_token": "TELEGRAM_BOT_TOKEN",
    "data_key": "OPORA_DATA_KEY",
    "nlu_auth_token": "NLU_AUTH_TOKEN",
    "webhook_secret": "TELEGRAM_WEBHOOK_SECRET",
}


def _refuse_unsafe(settings: Settings) -> None:
    if settings.telegram.mode == "webhook" and not settings.bot_token:
        raise SettingsError(
            "Opora cannot start: webhook mode needs TELEGRAM_BOT_TOKEN. Set it, or set "
            "OPORA_TELEGRAM__MODE=polling to use the local chat."
        )
    if settings.telegram.mode == "webhook" and not settings.telegram.webhook.url:
        raise SettingsError(
            "Opora cannot start: webhook mode needs the public https address Telegram posts "
            "updates to. Set TELEGRAM_WEBHOOK_URL (e.g. https://bot.example.org/telegram), "
            "see docs/deploy.md."
        )
    secret = settings.webhook_secret
    if secret and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
        raise SettingsError(
            "Opora cannot start: TELEGRAM_WEBHOOK_SECRET may hold only A-Z, a-z, 0-9, _ and - "
            "(1-256 characters), as Telegram requires. Generate one with "
            "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`."
        )
    if not settings.uses_sqlite and not settings.data_key:
        raise SettingsError(
            "Opora cannot start: with PostgreSQL the data key must come from the environment, "
            "so that it is kept apart from the database. Generate one with "
            "`python -m bot keygen` and set OPORA_DATA_KEY."
        )
