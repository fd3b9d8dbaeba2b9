"""Storage: SQLAlchemy models, the database handle and Alembic migrations."""

from bot.db.database import Database, DatabaseUnavailable
from bot.db.models import Base, Profile, StoredState

__all__ = ["Base", "Database", "DatabaseUnavailable", "Profile", "StoredState"]
