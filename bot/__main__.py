"""Command line: `python -m bot --help` lists the subcommands."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from bot import stats_cli as stats_commands
from bot.content import cli as content_commands
from bot.crypto import generate_key
from bot.directory import cli as services_commands
from bot.logs import configure_logging
from bot.settings import Settings, SettingsError, load_settings


def _logging(settings: Settings, to_file: bool) -> None:
    configure_logging(settings.data_dir / "opora.log" if to_file else None)


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runner import StartupError, run_polling

    if not settings.bot_token or args.local:
        return _chat(args, settings)
    _logging(settings, to_file=False)
    try:
        asyncio.run(run_polling(settings, announce=print))
    except StartupError as exc:
        print(f"Opora could not start: {exc}", file=sys.stderr)
        return 2
    return 0


def _chat(args: argparse.Namespace, settings: Settings) -> int:
    from bot.localchat import run_local_chat
    from bot.runner import StartupError

    _logging(settings, to_file=True)
    try:
        asyncio.run(run_local_chat(settings, language_code=args.telegram_language))
    except StartupError as exc:
        print(f"Opora could not start: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print()
    return 0


def _shown_url(settings: Settings) -> str:
    from sqlalchemy.engine import make_url

    return make_url(settings.database.url).render_as_string(hide_password=True)


def _migrate(args: argparse.Namespace, settings: Settings) -> int:
    from bot.db import DatabaseUnavailable, configured

    _logging(settings, to_file=False)
    try:
        configured(settings).migrate_sync()
    except DatabaseUnavailable as exc:
        print(f"Opora {exc}", file=sys.stderr)
        return 2
    print(f"The database schema is up to date ({_shown_url(settings)}).")
    return 0


def _db_check(args: argparse.Namespace, settings: Settings) -> int:
    """Exit 0: reachable, schema current, key reads it; 1: needs `db upgrade` or another key;
    2: cannot connect."""
    from bot.db import DatabaseUnavailable, configured

    _logging(settings, to_file=False)
    # A check must not create a key: without one there is nothing to check the database with.
    if not settings.data_key and not (settings.data_dir / "data.key").exists():
        print(
            f"No data key: set OPORA_DATA_KEY (or keep {settings.data_dir / 'data.key'}).",
            file=sys.stderr,
        )
        return 1
    database = configured(settings)
    try:
        state = database.check_sync()
    except DatabaseUnavailable as exc:
        print(f"Opora {exc}", file=sys.stderr)
        return 2
    where = _shown_url(settings)
    if state.current is None:
        print(f"{where}: no Opora schema yet. Run `python -m bot db upgrade`.")
        return 1
    if not state.up_to_date:
        print(
            f"{where}: schema at revision {state.current}, this version needs {state.newest}. "
            "Run `python -m bot db upgrade` (back up first: docs/deploy.md)."
        )
        return 1
    if state.key_reads is False:
        print(
            f"{where}: schema {state.current} is current, but the data key does not read this "
            "database: it was written with another OPORA_DATA_KEY."
        )
        return 1
    print(f"{where}: reachable; schema {state.current} is current; the data key reads it.")
    return 0


def _check_config(args: argparse.Namespace, settings: Settings) -> int:
    mode = (
        "local chat (no token set)"
        if not settings.bot_token
        else f"Telegram, webhook mode at {settings.telegram.webhook.url}"
        if settings.telegram.mode == "webhook"
        else "Telegram (long polling)"
    )
    print(f"config.yml is valid. `make run` would start: {mode}.")
    print(
        f"Database: {settings.database.url.split('@')[-1]}; NLU: {', '.join(settings.nlu.urls)} "
        f"({settings.nlu.manage}); languages: {', '.join(settings.languages.supported)}."
    )
    return 0


def _nlu(args: argparse.Namespace, settings: Settings) -> int:
    from bot.nlu_cli import run

    if args.language not in settings.languages.supported:
        print(f"--lang must be one of {', '.join(settings.languages.supported)}", file=sys.stderr)
        return 2
    return run(settings, args.language)


def _rotate_key(args: argparse.Namespace, settings: Settings) -> int:
    from bot.crypto import Cipher, generate_key
    from bot.db import Database, DatabaseUnavailable
    from bot.db.rotation import rotate_all
    from bot.settings import ROOT

    _logging(settings, to_file=False)
    key_file = settings.data_dir / "data.key"
    if settings.data_key and "," not in settings.data_key:
        print(
            "To rotate, set OPORA_DATA_KEY to the new key, a comma, then the current one "
            "(make the new one with `python -m bot keygen`), run rotate-key, then set "
            "OPORA_DATA_KEY to the new key alone.",
            file=sys.stderr,
        )
        return 2
    if settings.data_key:
        keys, new = settings.data_key, settings.data_key.split(",")[0]
    elif key_file.exists():
        new = generate_key()
        keys = f"{new},{key_file.read_text(encoding='ascii').strip()}"
        key_file.write_text(keys + "\n", encoding="ascii")  # both, until every value is rotated
    else:
        print(f"No data key: neither OPORA_DATA_KEY nor {key_file} exists.", file=sys.stderr)
        return 2
    try:
        count = rotate_all(Database(settings.database.url, Cipher(keys), ROOT))
    except DatabaseUnavailable as exc:
        print(f"Opora {exc}", file=sys.stderr)
        return 2
    if not settings.data_key:
        key_file.write_text(new + "\n", encoding="ascii")
        print(f"Re-encrypted {count} values; {key_file} now holds only the new key.")
    else:
        print(f"Re-encrypted {count} values. Now set OPORA_DATA_KEY to the new key alone.")
    return 0


def _content(args: argparse.Namespace, settings: Settings) -> int:
    from bot.content.cli import run

    return run(args, settings)


def _services(args: argparse.Namespace, settings: Settings) -> int:
    from bot.directory.cli import run

    _logging(settings, to_file=False)
    return run(args, settings)


def _stats(args: argparse.Namespace, settings: Settings) -> int:
    from bot.stats_cli import run

    _logging(settings, to_file=False)
    return run(args, settings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser(
        "run", help="run the bot: Telegram if TELEGRAM_BOT_TOKEN is set, else the local chat"
    )
    run.add_argument("--local", action="store_true", help="the local chat even with a token")
    run.add_argument(
        "--webhook",
        action="store_true",
        help="webhook mode (production; needs TELEGRAM_WEBHOOK_URL, see docs/deploy.md)",
    )
    chat = commands.add_parser("chat", help="the local chat in this terminal")
    for sub in (run, chat):
        sub.add_argument(
            "--telegram-language",
            default="en",
            help="language_code the local chat's Telegram client reports (en)",
        )
    commands.add_parser("migrate", help="the same as `db upgrade`")
    db = commands.add_parser("db", help="database schema: upgrade or check")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="DB_COMMAND")
    db_commands.add_parser("upgrade", help="apply database migrations (create the schema)")
    db_commands.add_parser(
        "check",
        help="is the database reachable, its schema current, and the data key right? "
        "(exit 0 yes, 1 no, 2 unreachable)",
    )
    commands.add_parser("check-config", help="validate config.yml and the environment")
    commands.add_parser("keygen", help="print a new OPORA_DATA_KEY")
    commands.add_parser(
        "rotate-key", help="re-encrypt all stored data with a new data key (docs/paralegals.md)"
    )
    nlu = commands.add_parser("nlu", help="talk to the running NLU service")
    nlu_commands = nlu.add_subparsers(dest="nlu_command", required=True, metavar="NLU_COMMAND")
    parse = nlu_commands.add_parser(
        "parse", help="one message per stdin line → one JSON object per stdout line"
    )
    parse.add_argument("--lang", dest="language", default="en", help="the writer's language")
    content_commands.add_commands(commands)
    services_commands.add_commands(commands)
    stats_commands.add_commands(commands)
    args = parser.parse_args(argv)

    if args.command == "keygen":
        print(generate_key())
        return 0
    env = dict(os.environ)
    if getattr(args, "webhook", False):
        env["TELEGRAM_MODE"] = "webhook"
    try:
        settings = load_settings(env=env)
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.command == "chat":
        args.local = True
    handler = {
        "run": _run,
        "chat": _chat,
        "migrate": _migrate,
        "db": lambda a, s: _migrate(a, s) if a.db_command == "upgrade" else _db_check(a, s),
        "check-config": _check_config,
        "nlu": _nlu,
        "content": _content,
        "rotate-key": _rotate_key,
        "services": _services,
        "stats": _stats,
    }
    return handler[args.command](args, settings)


if __name__ == "__main__":
    sys.exit(main())
