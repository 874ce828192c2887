"""``chainkit.ghactions`` is a boundary like the others: it imports no private module of
another package (``chainkit._internal`` is the shared toolkit), nor the sandbox, and talks to
chainkit's commands only by running them (never importing ``chainkit._cli``)."""

from __future__ import annotations

from unit.test_architecture import Import, _private, _within, package_imports


def ghactions_imports_private(imports: list[Import]) -> list[Import]:
    bad = []
    for i in imports:
        if not _within(i.importer, "chainkit.ghactions") or not _within(i.target, "chainkit"):
            continue
        parts = i.target.split(".")[1:]
        if not parts or parts[0] in {"ghactions", "_internal"}:
            continue
        if parts[0] in {"_cli", "sandbox", "cli"} or any(_private(p) for p in parts):
            bad.append(i)
    return bad


def test_ghactions_uses_only_public_apis() -> None:
    imports = package_imports()
    assert any(_within(i.importer, "chainkit.ghactions") for i in imports)
    assert ghactions_imports_private(imports) == []


def test_the_rule_catches_a_private_import() -> None:
    bad = Import("chainkit.ghactions._run", "chainkit.backfill._plan", 1)
    cli = Import("chainkit.ghactions._run", "chainkit._cli.scan", 2)
    fine = Import("chainkit.ghactions._run", "chainkit._internal.output", 3)
    assert ghactions_imports_private([bad, cli, fine]) == [bad, cli]
