"""Logging set-up that keeps personal data out of the logs.

Opora's own modules never log what a person wrote, where they are or who they are. Some
libraries do at DEBUG (python-telegram-bot logs whole updates; httpx logs URLs that contain the
bot token), so they are held at INFO or WARNING whatever the root level is.
"""

from __future__ import annotations

import logging
from pathlib import Path

__all__ = ["configure_logging", "quiet_libraries"]

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

LIBRARY_LEVELS = {
    "telegram": logging.INFO,  # DEBUG dumps every update, names and texts included
    "httpx": logging.WARNING,  # INFO logs request URLs, which contain the bot token
    "httpcore": logging.WARNING,
    "tornado.access": logging.WARNING,  # the local Bot API server's URLs contain the token
    "apscheduler": logging.WARNING,
    "aiosqlite": logging.WARNING,  # DEBUG logs statement parameters
    "alembic": logging.WARNING,  # one INFO line per migration check
    "sqlalchemy": logging.WARNING,
}


class _WithholdUpdates(logging.Filter):
    """python-telegram-bot logs the whole raw batch when it cannot parse an update (names,
    texts, locations): keep the record, drop the data."""

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith("Error while parsing updates"):
            error = record.exc_info[1] if record.exc_info else None
            record.msg = "Error while parsing updates (content withheld): %s"
            record.args = (type(error).__name__,)
            record.exc_info = None
            record.exc_text = None
        return True


_WITHHOLD = _WithholdUpdates()


def quiet_libraries() -> None:
    for name, level in LIBRARY_LEVELS.items():
        logging.getLogger(name).setLevel(level)
    for name in ("telegram.Bot", "telegram.ext.ExtBot"):
        logger = logging.getLogger(name)
        if _WITHHOLD not in logger.filters:
            logger.addFilter(_WITHHOLD)


def configure_logging(log_file: Path | None = None, level: int = logging.INFO) -> None:
    """Log to stderr, or to `log_file` (the local chat keeps the terminal for the chat)."""
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        logging.basicConfig(filename=log_file, level=level, format=FORMAT)
    else:
        logging.basicConfig(level=level, format=FORMAT)
    quiet_libraries()
