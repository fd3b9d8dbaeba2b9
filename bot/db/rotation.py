"""Re-encrypt every encrypted value with the newest data key (`python -m bot rotate-key`)."""

from __future__ import annotations

from sqlalchemy import LargeBinary, and_, create_engine, select, type_coerce, update
from sqlalchemy.schema import Column, Table

from bot.db.database import Database
from bot.db.models import Base
from bot.db.types import EncryptedJSON

__all__ = ["encrypted_columns", "rotate_all"]


def encrypted_columns() -> list[tuple[Table, Column[object]]]:
    """Every (table, column) stored encrypted, across all features."""
    # Importing the feature modules registers their tables in Base.metadata.
    from bot.cases import tables as case_tables
    from bot.directory import tables as directory_tables

    assert case_tables and directory_tables
    return [
        (table, column)
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, EncryptedJSON)
    ]


def rotate_all(database: Database) -> int:
    """Decrypt with any listed key, encrypt with the first; returns how many values changed.
    One transaction: a failure leaves everything as it was."""
    database.migrate_sync()
    engine = create_engine(database.sync_url)
    count = 0
    try:
        with engine.begin() as connection:
            for table, column in encrypted_columns():
                keys = list(table.primary_key.columns)
                raw = type_coerce(column, LargeBinary)
                rows = connection.execute(select(*keys, raw).where(column.is_not(None))).all()
                for row in rows:
                    token = database.cipher.rotate(bytes(row[-1]))
                    match = and_(*(key == value for key, value in zip(keys, row[:-1], strict=True)))
                    connection.execute(
                        update(table)
                        .where(match)
                        .values({column.name: type_coerce(token, LargeBinary)})
                    )
                    count += 1
    finally:
        engine.dispose()
    return count
