"""The database: one SQLAlchemy metadata, SQLite by default, PostgreSQL at scale."""

from reelmint.db.base import Base, new_id, utcnow
from reelmint.db.database import Database

__all__ = ["Base", "Database", "new_id", "utcnow"]
