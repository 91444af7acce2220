"""Database: typed models, async engine and sessions, Alembic migrations.

Core models live in ``bot/db/models.py``; each capability keeps its own in
``bot/db/models_<feature>.py``, imported here so that ``Base.metadata`` (and so Alembic and the
model/migration agreement test) always sees every table.
"""

import importlib
import pkgutil

from bot.db.database import Database
from bot.db.models import Base

for _module in pkgutil.iter_modules(__path__):
    if _module.name.startswith("models_"):
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["Base", "Database"]
