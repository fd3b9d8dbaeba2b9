"""First contact: /start → language → country → privacy note → main menu.

A persistent conversation, so someone half-way through continues after a restart. Free text
is not captured here: it falls through to the message understanding, so an urgent message
typed during onboarding is still answered.
"""

from __future__ import annotations

import warnings
from enum import StrEnum

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler
from telegram.warnings import PTBUserWarning

from bot.context import Handlers, OporaContext
from bot.i18n import Translator, country_name, language_name
from bot.main_menu import main_menu_markup, privacy_text, show_main_menu
from bot.people import save_choices
from bot.replies import button, chosen, keyboard, send, show
from bot.settings import Settings

__all__ = ["CONVERSATION_NAME", "State", "handlers", "language_markup"]

CONVERSATION_NAME = "onboarding"
# ISO 3166 "unknown or unspecified" code, for people outside the configured countries.
OTHER_COUNTRY = "ZZ"


class State(StrEnum):
    LANGUAGE = "language"
    COUNTRY = "country"
    PRIVACY = "privacy"


def language_markup(settings: Settings, current: str) -> InlineKeyboardMarkup:
    """Every supported language in its own name; the current one is ticked."""
    buttons = [
        button(("✅ " if code == current else "") + language_name(code), f"lang:{code}")
        for code in settings.languages.supported
    ]
    return keyboard(*[buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def _country_markup(settings: Settings, t: Translator) -> InlineKeyboardMarkup:
    buttons = [button(country_name(code, t.lang), f"country:{code}") for code in settings.countries]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append([button(t.gettext("Another country"), "country:other")])
    return keyboard(*rows)


def _language_prompt() -> str:
    # Shown before the person has chosen, so it speaks every language at once.
    return "🌐 Choose your language · Выберите язык · Оберіть мову · Тілді таңдаңыз"


def _supported(update: Update, context: OporaContext) -> str:
    """The language a language button names, if it is still offered; else the current one."""
    code = chosen(update)
    supported = context.services.settings.languages.supported
    return code if code in supported else context.person.language


async def _start(update: Update, context: OporaContext) -> State | int:
    """/start: welcome back to the menu, or begin with the language choice."""
    t = context.t
    if context.person.onboarded:
        await send(update, t.gettext("Welcome back to Opora."), main_menu_markup(t))
        return ConversationHandler.END
    await send(
        update,
        t.gettext("Hello! I am Opora, a confidential helper on health, OST and your rights.")
        + "\n\n"
        + _language_prompt(),
        language_markup(context.services.settings, context.person.language),
    )
    return State.LANGUAGE


async def _language_chosen(update: Update, context: OporaContext) -> State:
    """The language is stored; next, the country."""
    assert update.callback_query is not None and update.callback_query.data
    code = _supported(update, context)
    services = context.services
    if await save_choices(database=services.database, person=context.person, language=code):
        # A newcomer's first day is a conversation too (later days count in bot.people).
        services.usage.note("conversation", code)
    context.set_person(context.person)
    t = context.t
    await show(
        update,
        t.gettext("Which country are you in? Laws, services and phone numbers depend on it."),
        _country_markup(services.settings, t),
    )
    return State.COUNTRY


async def _country_chosen(update: Update, context: OporaContext) -> State:
    """The country is stored; next, what Opora keeps and how to erase it."""
    code = chosen(update)
    services = context.services
    country = code if code in services.settings.countries else OTHER_COUNTRY
    await save_choices(database=services.database, person=context.person, country=country)
    t = context.t
    await show(
        update,
        privacy_text(t),
        keyboard([button("👍 " + t.gettext("Understood"), "privacy:ok")]),
    )
    return State.PRIVACY


async def _privacy_acknowledged(update: Update, context: OporaContext) -> int:
    """Onboarding is done: the main menu."""
    await save_choices(database=context.services.database, person=context.person, onboarded=True)
    await show_main_menu(update, context)
    return ConversationHandler.END


async def _language_command(update: Update, context: OporaContext) -> None:
    """/language or the Language button: the language list, at any time."""
    markup = language_markup(context.services.settings, context.person.language)
    if update.callback_query is not None:
        await show(update, _language_prompt(), markup)
    else:
        await send(update, _language_prompt(), markup)


async def _language_changed(update: Update, context: OporaContext) -> None:
    """A language picked outside onboarding: store it and answer in it."""
    assert update.callback_query is not None and update.callback_query.data
    code = _supported(update, context)
    await save_choices(database=context.services.database, person=context.person, language=code)
    context.set_person(context.person)
    await show_main_menu(update, context)


def handlers() -> Handlers:
    languages = r"^lang:[a-z]{2,3}$"
    with warnings.catch_warnings():
        # PTB warns that callback queries are tracked per chat, not per message: that is the
        # intent here, one onboarding per person.
        warnings.simplefilter("ignore", PTBUserWarning)
        conversation: ConversationHandler[OporaContext] = ConversationHandler(
            entry_points=[CommandHandler("start", _start)],
            states={
                State.LANGUAGE: [CallbackQueryHandler(_language_chosen, pattern=languages)],
                State.COUNTRY: [CallbackQueryHandler(_country_chosen, pattern=r"^country:\w+$")],
                State.PRIVACY: [
                    CallbackQueryHandler(_privacy_acknowledged, pattern=r"^privacy:ok$")
                ],
            },
            fallbacks=[],
            allow_reentry=True,
            name=CONVERSATION_NAME,
            persistent=True,
        )
    return [
        conversation,
        CommandHandler("language", _language_command),
        CallbackQueryHandler(_language_command, pattern=r"^menu:language$"),
        CallbackQueryHandler(_language_changed, pattern=languages),
        # Buttons of an onboarding message pressed after the conversation moved on still work.
        CallbackQueryHandler(_country_chosen, pattern=r"^country:\w+$"),
        CallbackQueryHandler(_privacy_acknowledged, pattern=r"^privacy:ok$"),
    ]
