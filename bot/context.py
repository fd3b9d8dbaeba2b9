"""The typed context every handler receives: services, the person's profile and language."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import Application, BaseHandler, CallbackContext, ContextTypes, ExtBot

from bot.i18n import Translator
from bot.services import Services

__all__ = ["CONTEXT_TYPES", "BotData", "OporaContext", "Person"]


class BotData:
    """Application-wide data: only the services, set when the application is built."""

    def __init__(self) -> None:
        self._services: Services | None = None

    @property
    def services(self) -> Services:
        if self._services is None:
            raise RuntimeError("services are attached in build_application()")
        return self._services

    @services.setter
    def services(self, value: Services) -> None:
        self._services = value


@dataclass
class Person:
    """Who is writing, as far as Opora knows it: a pseudonym and their choices."""

    subject: str
    language: str
    country: str | None
    onboarded: bool
    # A town remembered for service searches, if the person agreed: {"city", "country", ...}.
    area: dict[str, Any] | None = None
    # Opted in to keeping misunderstood messages for the editors (bot.usage).
    improve_nlu: bool = False
    # This is their first message today (a "conversation" in the usage counts).
    new_today: bool = False


class OporaContext(CallbackContext[ExtBot[None], dict[str, Any], dict[str, Any], BotData]):
    """Carries the person and their translator, decided once per update by bot.people."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)
        self._person: Person | None = None
        self._translator: Translator | None = None

    @property
    def services(self) -> Services:
        return self.bot_data.services

    @property
    def person(self) -> Person:
        if self._person is None:
            raise RuntimeError("the person is set by the first handler group")
        return self._person

    @property
    def has_person(self) -> bool:
        return self._person is not None

    @property
    def t(self) -> Translator:
        """The translator for this update's language."""
        if self._translator is None:
            services = self.bot_data.services
            return services.catalogs.get(services.settings.languages.default)
        return self._translator

    def set_person(self, person: Person) -> None:
        self._person = person
        self._translator = self.bot_data.services.catalogs.get(person.language)


CONTEXT_TYPES = ContextTypes(context=OporaContext, bot_data=BotData)

# What each feature module's handlers() returns, for build_application to register in order.
Handlers = list[BaseHandler[Update, OporaContext, Any]]
