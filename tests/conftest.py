"""Root conftest: registers the shared fixture plugins under tests/_plugins/ and the
Hypothesis profiles.

Profiles (``HYPOTHESIS_PROFILE`` picks one; ``CI=true`` defaults to ``ci``):

- ``ci``: derandomised (the same examples on every run, derived from each test) and no
  example database, so a run neither depends on nor leaves state for the next one. A
  failure found locally is kept as an explicit ``@example`` in the test, not in a database.
- ``dev`` (default elsewhere): randomised, with the local example database, to explore.
- ``deep``: like ``dev`` with ten times the examples, for a longer local search.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("dev", derandomize=False)
settings.register_profile("deep", derandomize=False, max_examples=1000)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE")
    or ("ci" if os.environ.get("CI", "").lower() in {"1", "true", "yes"} else "dev")
)

pytest_plugins: list[str] = [
    "_plugins.github",
    "_plugins.sigstore",
    "_plugins.pypi",
    "_plugins.sandbox",
]
