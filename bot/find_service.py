"""Find services near me: what kind, where (shared location or a typed town), the nearest few.

The search state lives in chat_data, which is never persisted: a shared location is used for
the search and dropped; only a town is kept, and only if the person asks for it (profile.area).
Diagram: find_service.mmd.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
from enum import StrEnum
from typing import Any

from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot.content.model import SERVICE_TYPES
from bot.context import Handlers, OporaContext
from bot.directory.cities import City
from bot.directory.listing import TYPE_LABELS, describe, type_label
from bot.directory.search import Found
from bot.i18n import country_name
from bot.main_menu import main_menu_markup
from bot.people import save_area
from bot.replies import acknowledge, button, chosen, keyboard, send, show

__all__ = ["State", "ask_where", "handlers", "start_search", "town_typed", "waiting_for_town"]

log = logging.getLogger(__name__)
PAGE = 5
KEPT = 15  # results kept in memory for "More"
# Widen the search step by step before saying nothing is near.
RADII_KM = (50.0, 200.0, 1000.0)


class State(StrEnum):
    TYPE = "type"
    WHERE = "where"
    CITY = "city"
    RESULTS = "results"


def _search(context: OporaContext) -> dict[str, Any]:
    data = context.chat_data
    assert data is not None
    search: dict[str, Any] = data.setdefault("find", {"types": [], "state": State.TYPE})
    return search


async def start_search(
    update: Update, context: OporaContext, types: tuple[str, ...] = (), city: str | None = None
) -> None:
    """Begin a search: ask the type unless it is known, then where (or go straight to a town)."""
    context.chat_data["find"] = {"types": list(types), "state": State.TYPE}  # type: ignore[index]
    if city:
        _search(context)["state"] = State.WHERE
        await _town_typed(update, context, city)
    elif types:
        await ask_where(update, context)
    else:
        await _ask_type(update, context)


async def _ask_type(update: Update, context: OporaContext) -> None:
    t = context.t
    buttons = [button(t.gettext(TYPE_LABELS[name]), f"findtype:{name}") for name in SERVICE_TYPES]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append([button(t.gettext("All services"), "findtype:all")])
    rows.append([button("⬅️ " + t.gettext("Back"), "menu:main")])
    await show(update, t.gettext("What are you looking for?"), keyboard(*rows))


async def ask_where(update: Update, context: OporaContext) -> None:
    """Ask for a shared location or a typed town (the remembered town is a button)."""
    t = context.t
    if update.callback_query is not None:
        await acknowledge(update.callback_query)
    search = _search(context)
    search["state"] = State.WHERE
    what = type_label(t, tuple(search["types"]))
    markup = ReplyKeyboardMarkup(
        [
            [KeyboardButton("📍 " + t.gettext("Share my location"), request_location=True)],
            [KeyboardButton(t.gettext("Cancel"))],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
    text = t.gettext(
        "Looking for: {what}. Share your location with the button below, or type the name of "
        "your town. Your location is used for this search only and is not stored."
    ).format(what=html.escape(what))
    await send(update, text, markup)
    area = context.person.area if context.has_person else None
    if area:
        await send(
            update,
            t.gettext("Or search near the town you asked me to remember:"),
            keyboard([button("📍 " + html.escape(str(area["name"])), "findarea:use")]),
        )


async def _type_chosen(update: Update, context: OporaContext) -> None:
    """A service type button."""
    value = chosen(update)
    _search(context)["types"] = [] if value == "all" else [value]
    await ask_where(update, context)


async def _find_button(update: Update, context: OporaContext) -> None:
    """An answer's "find" follow-up (e.g. find:pep) or the menu's Find services."""
    value = chosen(update)
    if update.callback_query is not None:
        await acknowledge(update.callback_query)
    await start_search(update, context, () if value == "services" else (value,))


async def _location(update: Update, context: OporaContext) -> None:
    """A shared location: search around it, then forget it."""
    message = update.effective_message
    assert message is not None and message.location is not None
    search = _search(context)
    near = context.services.directory.cities.nearest(
        message.location.latitude, message.location.longitude
    )
    await send(update, context.t.gettext("Thank you. Searching…"), ReplyKeyboardRemove())
    await _results(
        update, context, message.location.latitude, message.location.longitude, near, search
    )


async def _town_typed(update: Update, context: OporaContext, text: str) -> None:
    t = context.t
    country = context.person.country if context.has_person else None
    cities = context.services.directory.find_city(text[:100], country)
    search = _search(context)
    if not cities:
        await send(
            update,
            t.gettext(
                "I do not know a town called “{name}”. Check the spelling, or share your "
                "location with the button."
            ).format(name=html.escape(text[:100])),
        )
        return
    if len(cities) > 1:
        search["state"] = State.CITY
        rows = [[button(_city_label(context, c), f"findcity:{c.geonameid}")] for c in cities]
        await send(update, t.gettext("Which one do you mean?"), keyboard(*rows))
        return
    await send(
        update,
        t.gettext("Searching near {city}…").format(city=_city_label(context, cities[0])),
        ReplyKeyboardRemove(),
    )
    await _results(update, context, cities[0].latitude, cities[0].longitude, cities[0], search)


def _city_label(context: OporaContext, city: City) -> str:
    script = "cyrillic" if context.t.lang in ("ru", "uk", "kk", "ky", "tg") else "latin"
    return f"{city.local_name(script)}, {country_name(city.country, context.t.lang)}"


async def _city_chosen(update: Update, context: OporaContext) -> None:
    """One of several towns with that name."""
    ident = int(chosen(update))
    city = next((c for c in context.services.directory.cities.cities if c.geonameid == ident), None)
    if update.callback_query is not None:
        await acknowledge(update.callback_query)
    if city is None:
        await send(update, context.t.gettext("Please type the name of your town again."))
        return
    await _results(update, context, city.latitude, city.longitude, city, _search(context))


async def _remembered_area(update: Update, context: OporaContext) -> None:
    """The remembered-town button."""
    if update.callback_query is not None:
        await acknowledge(update.callback_query)
    area = context.person.area if context.has_person else None
    if not area:
        await send(update, context.t.gettext("Please share your location or type your town."))
        return
    await send(
        update,
        context.t.gettext("Searching near {city}…").format(city=html.escape(str(area["name"]))),
        ReplyKeyboardRemove(),
    )
    city = City(
        int(area["id"]),
        str(area["name"]),
        str(area["country"]),
        float(area["latitude"]),
        float(area["longitude"]),
        0,
        "",
        (),
    )
    await _results(
        update, context, city.latitude, city.longitude, city, _search(context), remembered=True
    )


async def _results(
    update: Update,
    context: OporaContext,
    latitude: float,
    longitude: float,
    near: City | None,
    search: dict[str, Any],
    remembered: bool = False,
) -> None:
    """Search, widening the radius; keep only the result ids and distances for "More"."""
    directory = context.services.directory
    types = tuple(search["types"])
    for kind in types or ("all",):
        context.services.usage.note("service_search", context.person.language, kind)
    found: list[Found] = []
    radius = RADII_KM[0]
    for radius in RADII_KM:
        found = await directory.nearest(latitude, longitude, types, limit=KEPT, max_km=radius)
        if len(found) >= PAGE:
            break
    search.update(state=State.RESULTS, page=0, found=found, radius=radius)
    if not found:
        await _nothing_found(update, context, types)
        return
    if found[0].distance_km > RADII_KM[0]:
        await send(
            update,
            context.t.gettext(
                "Nothing within {km} km. The nearest I know are further away:"
            ).format(km=int(RADII_KM[0])),
        )
    await _show_page(update, context, search)
    if (
        near is not None
        and not remembered
        and not (context.person.area if context.has_person else None)
    ):
        search["offer_area"] = {
            "id": near.geonameid,
            "name": near.name,
            "country": near.country,
            "latitude": near.latitude,
            "longitude": near.longitude,
        }
        await send(
            update,
            context.t.gettext(
                "Remember {city} for your next search? Only the town is kept, never your location."
            ).format(city=html.escape(near.name)),
            keyboard(
                [
                    button(context.t.gettext("Yes, remember it"), "findarea:keep"),
                    button(context.t.gettext("No"), "findarea:no"),
                ]
            ),
        )


async def _nothing_found(update: Update, context: OporaContext, types: tuple[str, ...]) -> None:
    t = context.t
    text = t.gettext(
        "I found no {what} within {km} km in the directory. A person can help you look further."
    ).format(what=html.escape(type_label(t, types)), km=int(RADII_KM[-1]))
    await send(
        update,
        text,
        keyboard(
            [button("💬 " + t.gettext("Talk to a person"), "menu:human")],
            [button("☰ " + t.gettext("Main menu"), "menu:main")],
        ),
    )


async def _show_page(update: Update, context: OporaContext, search: dict[str, Any]) -> None:
    t = context.t
    found: list[Found] = search["found"]
    page = int(search.get("page", 0))
    shown = found[page * PAGE : (page + 1) * PAGE]
    now = dt.datetime.now(dt.UTC)
    blocks = [describe(t, page * PAGE + n + 1, f, now) for n, f in enumerate(shown)]
    what = type_label(t, tuple(search["types"]))
    header = "📍 <b>" + html.escape(what) + "</b>"
    pins = [
        button(f"🗺 {page * PAGE + n + 1}", f"findpin:{page * PAGE + n}") for n in range(len(shown))
    ]
    rows = [pins]
    if len(found) > (page + 1) * PAGE:
        rows.append([button(t.gettext("More") + " ▶", "findmore:next")])
    rows.append([button("💬 " + t.gettext("Talk to a person"), "menu:human")])
    rows.append([button("☰ " + t.gettext("Main menu"), "menu:main")])
    await send(update, "\n\n".join([header, *blocks]), keyboard(*rows))


async def _more(update: Update, context: OporaContext) -> None:
    """The More button: the next few of the kept results."""
    if update.callback_query is not None:
        await acknowledge(update.callback_query)
    search = _search(context)
    if not search.get("found"):
        await _expired(update, context)
        return
    search["page"] = int(search.get("page", 0)) + 1
    await _show_page(update, context, search)


async def _pin(update: Update, context: OporaContext) -> None:
    """A map pin (venue) for one result."""
    if update.callback_query is not None:
        await acknowledge(update.callback_query)
    found: list[Found] = _search(context).get("found") or []
    index = int(chosen(update))
    if index >= len(found):
        await _expired(update, context)
        return
    r = found[index].record
    t = context.t
    address = r.address or (
        t.gettext("{city}: demo entry, exact address not known").format(city=r.city or "")
        if r.demo
        else r.city or ""
    )
    chat = update.effective_chat
    assert chat is not None
    await chat.send_venue(
        latitude=r.latitude,
        longitude=r.longitude,
        title=r.organization_name[:100],
        address=address[:100] or "—",
    )


async def _expired(update: Update, context: OporaContext) -> None:
    await send(
        update,
        context.t.gettext("This search has ended. Please start it again."),
        keyboard([button("📍 " + context.t.gettext("Find services"), "menu:services")]),
    )


async def _area_choice(update: Update, context: OporaContext) -> None:
    """Remember the town (or not), or search near the remembered one."""
    value = chosen(update)
    if value == "use":
        await _remembered_area(update, context)
        return
    if update.callback_query is not None:
        await acknowledge(update.callback_query)
    search = _search(context)
    offered = search.pop("offer_area", None)
    t = context.t
    if value == "keep" and offered:
        await save_area(database=context.services.database, person=context.person, area=offered)
        await show(
            update,
            t.gettext("Done. I will offer {city} next time. /forget erases it.").format(
                city=html.escape(str(offered["name"]))
            ),
        )
    else:
        await show(update, t.gettext("OK, nothing is remembered."))


async def town_typed(update: Update, context: OporaContext) -> None:
    """Typed text while Opora waits for a town: the town (or Cancel)."""
    message = update.effective_message
    assert message is not None and message.text is not None
    if message.text.strip() == context.t.gettext("Cancel"):
        context.chat_data.pop("find", None)  # type: ignore[union-attr]
        await send(update, context.t.gettext("Cancelled."), ReplyKeyboardRemove())
        await send(
            update, context.t.gettext("What else can I do for you?"), main_menu_markup(context.t)
        )
        return
    await _town_typed(update, context, message.text)


def waiting_for_town(context: OporaContext) -> bool:
    """Is this chat's search waiting for a typed town? (Free text is routed here first.)"""
    search = (context.chat_data or {}).get("find") or {}
    return search.get("state") in (State.WHERE, State.CITY)


def handlers() -> Handlers:
    types = "|".join(SERVICE_TYPES)
    return [
        CallbackQueryHandler(_find_button, pattern=rf"^(menu:services|find:({types}))$"),
        CallbackQueryHandler(_type_chosen, pattern=rf"^findtype:({types}|all)$"),
        CallbackQueryHandler(_city_chosen, pattern=r"^findcity:\d{1,12}$"),
        CallbackQueryHandler(_more, pattern=r"^findmore:next$"),
        CallbackQueryHandler(_pin, pattern=r"^findpin:\d{1,3}$"),
        CallbackQueryHandler(_area_choice, pattern=r"^findarea:(keep|no|use)$"),
        MessageHandler(filters.LOCATION, _location),
    ]
