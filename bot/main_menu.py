"""The main menu, its sections, /menu, /help and /privacy."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.context import Handlers, OporaContext
from bot.i18n import N_, Translator
from bot.replies import button, keyboard, send, show
from bot.safety import safety_rows
from bot.settings import Settings
from bot.topics import SECTIONS

__all__ = [
    "handlers",
    "main_menu_markup",
    "privacy_notice",
    "send_main_menu",
    "show_main_menu",
]

SECTION_BY_KEY = {section.key: section for section in SECTIONS}

# (callback key, icon, label) of the main menu, in the order people see it.
MAIN_MENU = (
    ("health", "🩺", N_("Health & HIV")),
    ("ost", "💊", N_("OST & harm reduction")),
    ("rights", "⚖️", N_("My rights")),
    ("services", "📍", N_("Find services")),
    ("report", "📝", N_("Report a violation")),
    ("human", "💬", N_("Talk to a person")),
    ("language", "🌐", N_("Language")),
    ("privacy", "🔒", N_("Privacy & safety")),
)


def main_menu_markup(t: Translator) -> InlineKeyboardMarkup:
    buttons = [
        button(f"{icon} {t.gettext(label)}", f"menu:{key}") for key, icon, label in MAIN_MENU
    ]
    return keyboard(*[buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def main_menu_text(t: Translator) -> str:
    return t.gettext("What would you like to do? Choose below, or just write your question.")


async def send_main_menu(update: Update, context: OporaContext) -> None:
    """Send the main menu as a new message."""
    await send(update, main_menu_text(context.t), main_menu_markup(context.t))


async def show_main_menu(update: Update, context: OporaContext) -> None:
    """Show the main menu in place of the pressed one."""
    await show(update, main_menu_text(context.t), main_menu_markup(context.t))


async def _menu_command(update: Update, context: OporaContext) -> None:
    """/menu: the main menu, at any time."""
    await send_main_menu(update, context)


async def _section(update: Update, context: OporaContext) -> None:
    """A section of the main menu: its topics as buttons, and a way back."""
    assert update.callback_query is not None and update.callback_query.data
    section = SECTION_BY_KEY[update.callback_query.data.split(":", 1)[1]]
    t = context.t
    rows = [[button(t.gettext(topic.label), f"topic:{topic.intent}")] for topic in section.topics]
    if section.key == "rights":
        rows.append([button("📝 " + t.gettext("Report a violation"), "menu:report")])
    rows.append([button("⬅️ " + t.gettext("Back"), "menu:main")])
    title = f"{section.icon} <b>{t.gettext(section.label)}</b>"
    await show(update, title + "\n" + t.gettext("Choose a topic."), keyboard(*rows))


async def _main(update: Update, context: OporaContext) -> None:
    """The Back button of a section: the main menu again."""
    await show_main_menu(update, context)


async def _help(update: Update, context: OporaContext) -> None:
    """/help: what Opora does and the commands."""
    t = context.t
    text = "\n".join(
        [
            t.gettext(
                "Opora gives information about HIV, OST, harm reduction and your rights, "
                "and helps you find services. You can write in your own words or use the menu."
            ),
            "",
            t.gettext("/menu: main menu"),
            t.gettext("/language: change the language"),
            t.gettext("/privacy: what Opora stores about you"),
            t.gettext("/wipe: clear this chat"),
            t.gettext("/forget: erase your data"),
        ]
    )
    await send(update, text, main_menu_markup(t))


def privacy_text(t: Translator) -> str:
    return "\n\n".join(
        [
            "🔒 <b>" + t.gettext("Your privacy") + "</b>",
            t.gettext(
                "Opora does not ask for your name. It stores your language, your country and "
                "where you are in a conversation, encrypted, under a code instead of your "
                "Telegram account."
            ),
            t.gettext(
                "Nobody else can see this chat through Opora. You can erase everything Opora "
                "keeps about you at any time: /forget or the “Erase my data” button."
            ),
            t.gettext(
                "If someone else may look at your phone, delete this chat in Telegram after "
                "you use it."
            ),
            t.gettext(
                "/wipe deletes the messages of the last 48 hours in this chat. In /privacy you "
                "can make messages disappear by themselves."
            ),
        ]
    )


def privacy_notice(t: Translator, settings: Settings) -> str:
    """/privacy: the short notice, then what is kept and for how long (from the settings)."""
    rules = settings.retention
    details = [
        "<b>" + t.gettext("What Opora keeps, and for how long") + "</b>",
        "• "
        + t.gettext(
            "Your profile (language, country, a town if you asked Opora to remember it) and "
            "where you are in a conversation: deleted after {days} days without contact, or at "
            "once with /forget."
        ).format(days=rules.inactive_profile_days),
        "• "
        + t.gettext(
            "Reports and consultations: what you write goes only to the paralegal on your case. "
            "{days} days after a case is closed, its story, evidence and contact details are "
            "deleted; only anonymous numbers remain (country, type of violation, outcome)."
        ).format(days=rules.closed_case_days),
        "• "
        + t.gettext(
            "Messages in this chat: outside a report, Opora does not store what you write. "
            "For 48 hours it keeps the numbers of the messages, encrypted, so that /wipe and "
            "disappearing messages can delete them."
        ),
        "• "
        + t.gettext("Opora's logs never contain what you write, where you are or who you are."),
    ]
    return privacy_text(t) + "\n\n" + "\n".join(details)


async def _privacy(update: Update, context: OporaContext) -> None:
    """/privacy or the menu: what is stored, for how long, and the safety controls."""
    t = context.t
    services = context.services
    period = await services.messages.period(context.person.subject)
    await show(
        update,
        privacy_notice(t, services.settings),
        keyboard(*safety_rows(t, period, context.person.improve_nlu)),
    )


def handlers() -> Handlers:
    sections = "|".join(SECTION_BY_KEY)
    return [
        CommandHandler("menu", _menu_command),
        CommandHandler("help", _help),
        CommandHandler("privacy", _privacy),
        CallbackQueryHandler(_privacy, pattern=r"^menu:privacy$"),
        CallbackQueryHandler(_main, pattern=r"^menu:main$"),
        CallbackQueryHandler(_section, pattern=rf"^menu:({sections})$"),
    ]
