"""Root conftest: registers the shared fixture plugins under tests/_plugins/."""

from __future__ import annotations

pytest_plugins: list[str] = [
    "_plugins.github",
    "_plugins.sigstore",
    "_plugins.pypi",
    "_plugins.sandbox",
]
