"""Database: typed models, async engine and sessions, Alembic migrations."""

from bot.db.database import Database
from bot.db.models import Base

__all__ = ["Base", "Database"]
