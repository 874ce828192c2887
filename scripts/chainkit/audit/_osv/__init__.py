"""The offline OSV advisory database, split by concern.

- :mod:`.match`: OSV's matching rules (versions, ranges, PEP 440/503 comparison);
- :mod:`.records`: reading and validating records from a directory or an export zip;
- :mod:`.database`: :class:`~.database.AdvisoryDatabase`, the on-disk index cache and
  :func:`~.database.load_database`;
- :mod:`.server`: :class:`~.server.LoopbackOSV`, the OSV API subset on ``127.0.0.1``;
- :mod:`.child`: :class:`~.child.ServedDatabase`, that server in a child process (what
  ``--advisory-db`` uses; see docs/adr/0005-offline-osv-service.md);
- :mod:`.service`: :class:`~.service.DatabaseService`, a pip-audit ``VulnerabilityService``
  over the same index in-process (measured against the server; kept for the benchmark and
  the public API's ``database=`` path).
"""
