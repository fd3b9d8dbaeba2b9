"""`python -m bot content check|show`: for content editors, no Python needed."""

from __future__ import annotations

import argparse
import html
import re
import sys
from pathlib import Path

from bot.content.check import check_content, coverage_table
from bot.content.library import ContentLibrary, nlu_intents
from bot.content.locales import update_catalogs
from bot.content.translations import DOMAIN, SOURCE_LANGUAGE
from bot.settings import ROOT, Settings

__all__ = ["add_commands", "run"]

_ANSI = {
    "b": "1",
    "strong": "1",
    "i": "3",
    "em": "3",
    "u": "4",
    "ins": "4",
    "s": "9",
    "del": "9",
    "strike": "9",
}
_TAG = re.compile(r"<(/?)([a-z]+)([^>]*)>")


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    content = commands.add_parser("content", help="check or preview the answers in content/")
    sub = content.add_subparsers(dest="content_command", required=True, metavar="CONTENT_COMMAND")
    check = sub.add_parser("check", help="validate content/ and locales/; coverage per language")
    show = sub.add_parser("show", help="render an answer as the bot would send it")
    sub.add_parser(
        "update-locales", help="merge locales/*.pot into every language's .po (make locales)"
    )
    show.add_argument("intent")
    show.add_argument("--lang", default="en")
    show.add_argument("--country", default=None, help="ISO code, e.g. KZ (the person's country)")
    show.add_argument("--html", action="store_true", help="print the Telegram HTML as sent")
    for parser in (check, show):
        parser.add_argument("--content-dir", type=Path, default=None)
        parser.add_argument("--locales-dir", type=Path, default=None)


def _dirs(args: argparse.Namespace, settings: Settings) -> tuple[Path, Path]:
    return (
        args.content_dir or ROOT / settings.content.content_dir,
        args.locales_dir or ROOT / settings.content.locales_dir,
    )


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _check(args: argparse.Namespace, settings: Settings) -> int:
    content_dir, locales_dir = _dirs(args, settings)
    report = check_content(
        content_dir,
        locales_dir,
        settings.languages,
        nlu_intents(ROOT / "nlu" / "data"),
        settings.countries,
    )
    for title, problems in (("Errors", report.errors), ("Warnings", report.warnings)):
        print(f"{title}: {len(problems)}")
        for p in problems:
            print(f"  {_shown(p.path)}:{p.line}: {p.message}")
        print()
    print(coverage_table(report.content, "content"))
    print()
    print(coverage_table(report.interface, "interface"))
    print()
    if report.errors:
        print(f"content check failed: {len(report.errors)} error(s). Nothing broken is served.")
        return 1
    print("content check passed.")
    return 0


def _terminal(text: str, colour: bool) -> str:
    def tag(match: re.Match[str]) -> str:
        closing, name, attrs = match.groups()
        if name == "a":
            href = re.search(r'href="([^"]*)"', attrs)
            return (
                ""
                if not closing and not href
                else (f" ({href.group(1)})" if href and not closing else "")
            )
        code = _ANSI.get(name)
        if not colour or code is None:
            return ""
        return "\033[0m" if closing else f"\033[{code}m"

    return html.unescape(_TAG.sub(tag, text))


def _show(args: argparse.Namespace, settings: Settings) -> int:
    content_dir, locales_dir = _dirs(args, settings)
    if args.lang not in settings.languages.supported:
        print(f"--lang must be one of {', '.join(settings.languages.supported)}", file=sys.stderr)
        return 2
    country = args.country.upper() if args.country else None
    library = ContentLibrary(ROOT, settings.languages, settings.countries, content_dir, locales_dir)
    if not library.has_answer(args.intent):
        known = ", ".join(sorted(library.content.answers))
        print(f"No answer for {args.intent!r}. Answers exist for: {known}", file=sys.stderr)
        return 2
    rendered = library.render(args.intent, library.catalogs.get(args.lang), country)
    colour = sys.stdout.isatty() and not args.html
    for number, message in enumerate(rendered.messages, start=1):
        print(f"── message {number} of {len(rendered.messages)} ({len(message)} characters) ──")
        print(message if args.html else _terminal(message, colour))
    if rendered.buttons:
        print("── buttons ──")
        for label, data in rendered.buttons:
            print(f"[ {label} ]  → {data}")
    if rendered.flow:
        print(f"── then the {rendered.flow!r} flow starts ──")
    return 0


def _update_locales(args: argparse.Namespace, settings: Settings) -> int:
    locales_dir = ROOT / settings.content.locales_dir
    languages = tuple(lang for lang in settings.languages.supported if lang != SOURCE_LANGUAGE)
    for domain in ("bot", DOMAIN):
        for path in update_catalogs(locales_dir, domain, languages):
            print(f"updated {_shown(path)}")
    return 0


def run(args: argparse.Namespace, settings: Settings) -> int:
    commands = {"check": _check, "show": _show, "update-locales": _update_locales}
    return commands[args.content_command](args, settings)
