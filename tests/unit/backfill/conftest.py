"""The PyPI stand-in fixture for the backfill unit tests."""

from __future__ import annotations

from _plugins.pypi import pypi_index

__all__ = ["pypi_index"]
