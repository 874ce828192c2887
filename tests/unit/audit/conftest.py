"""Fixtures for the audit unit tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chainkit.audit import AdvisoryDatabase, load_database

ASSETS = Path(__file__).resolve().parents[2] / "assets" / "audit"


@pytest.fixture(scope="session")
def assets() -> Path:
    return ASSETS


@pytest.fixture(scope="session")
def dev_db() -> AdvisoryDatabase:
    return load_database(ASSETS / "osv")


@pytest.fixture(scope="session")
def expected() -> dict[str, list[str]]:
    data: dict[str, list[str]] = json.loads((ASSETS / "expected.json").read_text())
    return data
