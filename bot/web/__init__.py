"""The community's web pages, served by the same program from the same services: the park
directory, workshops with calendar feeds, public reports, a JSON API with its OpenAPI document,
``/healthz`` and ``/metrics``. No discord import anywhere here (the import-linter contracts)."""

from __future__ import annotations
