"""Storage: SQLAlchemy models, the database handle and Alembic migrations."""

from bot.db.database import Database, DatabaseUnavailable, configured
from bot.db.models import Base, ChatMessage, Profile, StoredState

__all__ = [
    "Base",
    "ChatMessage",
    "Database",
    "DatabaseUnavailable",
    "Profile",
    "StoredState",
    "configured",
]
