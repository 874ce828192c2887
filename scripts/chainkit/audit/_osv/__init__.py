"""The offline OSV advisory database, split by concern.

- :mod:`.match`: OSV's matching rules (versions, ranges, PEP 440/503 comparison);
- :mod:`.records`: reading and validating records from a directory or an export zip;
- :mod:`.database`: :class:`~.database.AdvisoryDatabase`, the on-disk index cache and
  :func:`~.database.load_database`;
- :mod:`.service`: :class:`~.service.DatabaseService`, the pip-audit
  ``VulnerabilityService`` that answers from the index in-process: what ``--advisory-db``
  uses (docs/adr/0005-offline-osv-service.md);
- :mod:`.server`: :class:`~.server.LoopbackOSV`, the OSV API subset on ``127.0.0.1``, for
  other OSV clients, tests (an OSV stand-in) and the benchmarks.
"""
