"""The import graph of ``scripts/chainkit`` keeps the boundaries the architecture names.

Rules (each with a self-test below showing it catches a synthetic violation):

(a) nothing under ``chainkit.verify`` imports ``chainkit.backfill``: verifying must not
    depend on the code that signs;
(b) a module under ``chainkit._cli`` imports no private (``_``-prefixed) module or name
    of another package (``chainkit.backfill._render``, ``from chainkit.backfill import
    _x``); the CLI talks to each boundary through its public API. ``chainkit._internal``
    (the package-wide toolkit) and ``chainkit._cli`` itself are not "another package";
(c) only ``chainkit.sandbox`` itself and ``chainkit._cli.sandbox`` import
    ``chainkit.sandbox``: the stand-ins never become a dependency of real code paths.

Every form counts: ``import x``, ``from x import y``, relative imports, imports inside
functions or ``if TYPE_CHECKING:``, and ``importlib.import_module("literal")``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE_DIR = Path(__file__).parents[2] / "scripts" / "chainkit"


@dataclass(frozen=True)
class Import:
    importer: str
    """Dotted name of the importing module (``chainkit._cli.backfill``)."""
    target: str
    """Dotted name imported: a module, or ``module.name`` for ``from module import name``."""
    line: int

    def __str__(self) -> str:
        return f"{self.importer}:{self.line} imports {self.target}"


# -- collecting ---------------------------------------------------------------------


def _resolve(importer: str, is_package: bool, module: str | None, level: int) -> str:
    if level == 0:
        return module or ""
    parts = importer.split(".")
    if not is_package:
        parts = parts[:-1]  # the package the module lives in
    if level > 1:
        parts = parts[: len(parts) - (level - 1)]
    return ".".join([*parts, module] if module else parts)


def _dotted(node: ast.expr) -> list[str] | None:
    """``a.b.c`` as ``["a", "b", "c"]``; None for anything but names and attributes."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return [node.id, *reversed(parts)]


def _literal(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _dynamic_import(node: ast.Call) -> tuple[str, str | None] | None:
    """``importlib.import_module(name, package)`` / ``__import__(name)`` with literal names."""
    func = node.func
    called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if called not in {"import_module", "__import__"} or not node.args:
        return None
    name = _literal(node.args[0])
    if name is None:
        return None
    package = _literal(node.args[1]) if called == "import_module" and len(node.args) > 1 else None
    for kw in node.keywords:
        if kw.arg == "package":
            package = _literal(kw.value)
    return name, package


def imports_in(importer: str, source: str, *, is_package: bool = False) -> Iterator[Import]:
    """Every import in ``source`` (module ``importer``), wherever it stands.

    Besides import statements: ``importlib.import_module`` (with a relative name and its
    ``package``) and ``__import__`` with literal names, and attribute access through a
    name bound to a chainkit module (``import chainkit.backfill as b; b._apply``), which
    reaches a submodule or name without an import statement of its own.
    """
    tree = ast.parse(source)
    aliases: dict[str, str] = {}  # local name -> dotted chainkit module it is bound to
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(importer, alias.name, node.lineno)
                if alias.asname:
                    aliases[alias.asname] = alias.name
                else:
                    root = alias.name.split(".")[0]
                    aliases[root] = root
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(importer, is_package, node.module, node.level)
            for alias in node.names:
                target = base if alias.name == "*" else f"{base}.{alias.name}"
                yield Import(importer, target, node.lineno)
                if alias.name != "*":
                    aliases[alias.asname or alias.name] = target
        elif isinstance(node, ast.Call) and (dynamic := _dynamic_import(node)) is not None:
            name, package = dynamic
            level = len(name) - len(name.lstrip("."))
            if level and package:
                target = _resolve(package, True, name[level:] or None, level)
            else:
                target = name
            yield Import(importer, target, node.lineno)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and not isinstance(
            getattr(node, "ctx", None), ast.Store
        ):
            parts = _dotted(node)
            if parts and parts[0] in aliases and aliases[parts[0]].split(".")[0] == "chainkit":
                yield Import(importer, ".".join([aliases[parts[0]], *parts[1:]]), node.lineno)


def package_imports(package_dir: Path = PACKAGE_DIR) -> list[Import]:
    found: list[Import] = []
    for path in sorted(package_dir.rglob("*.py")):
        parts = path.relative_to(package_dir.parent).with_suffix("").parts
        is_package = parts[-1] == "__init__"
        name = ".".join(parts[:-1] if is_package else parts)
        found += imports_in(name, path.read_text(encoding="utf-8"), is_package=is_package)
    return found


# -- the rules ----------------------------------------------------------------------


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _private(part: str) -> bool:
    return part.startswith("_") and not (part.startswith("__") and part.endswith("__"))


def verify_imports_backfill(imports: Iterable[Import]) -> list[Import]:
    """Rule (a)."""
    return [
        i
        for i in imports
        if _within(i.importer, "chainkit.verify") and _within(i.target, "chainkit.backfill")
    ]


def cli_imports_private(
    imports: Iterable[Import], allowed: Mapping[str, frozenset[str]] | None = None
) -> list[Import]:
    """Rule (b); ``allowed``: importer -> targets accepted for now."""
    allowed = allowed or {}
    bad = []
    for i in imports:
        if not _within(i.importer, "chainkit._cli") or not _within(i.target, "chainkit"):
            continue
        parts = i.target.split(".")[1:]
        if not parts or parts[0] in {"_cli", "_internal"}:
            continue
        if any(_private(p) for p in parts) and i.target not in allowed.get(i.importer, ()):
            bad.append(i)
    return bad


def sandbox_imported_outside(
    imports: Iterable[Import], allowed: Mapping[str, frozenset[str]] | None = None
) -> list[Import]:
    """Rule (c)."""
    allowed = allowed or {}
    return [
        i
        for i in imports
        if _within(i.target, "chainkit.sandbox")
        and not _within(i.importer, "chainkit.sandbox")
        and i.importer != "chainkit._cli.sandbox"
        and i.target not in allowed.get(i.importer, ())
    ]


# -- known exceptions (none today; an entry must name a real import and a reason) ----

CLI_PRIVATE_ALLOWED: dict[str, frozenset[str]] = {}

SANDBOX_ALLOWED: dict[str, frozenset[str]] = {
    # `chainkit workflow run --oidc sandbox` wires the sandbox's OIDC stand-in into the local
    # runner (the runner takes the finder as an argument and never imports the sandbox)
    "chainkit._cli.workflow": frozenset(
        {"chainkit.sandbox.DEFAULT_DIR", "chainkit.sandbox.oidc_admin_secret"}
    ),
}


# -- the package --------------------------------------------------------------------


@pytest.fixture(scope="module")
def imports() -> list[Import]:
    found = package_imports()
    assert len(found) > 300, "the package was not found or not parsed"
    return found


def test_verify_does_not_import_backfill(imports: list[Import]) -> None:
    assert verify_imports_backfill(imports) == []


def test_cli_uses_only_public_apis(imports: list[Import]) -> None:
    assert [str(i) for i in cli_imports_private(imports, CLI_PRIVATE_ALLOWED)] == []


def test_sandbox_is_imported_only_by_itself_and_its_command(imports: list[Import]) -> None:
    assert [str(i) for i in sandbox_imported_outside(imports, SANDBOX_ALLOWED)] == []


def test_allow_lists_hold_only_imports_that_still_exist(imports: list[Import]) -> None:
    """When a merge removes an allowed import, its entry must go too (no silent holes)."""
    present = {(i.importer, i.target) for i in imports}
    for table in (CLI_PRIVATE_ALLOWED, SANDBOX_ALLOWED):
        for importer, targets in table.items():
            for target in targets:
                assert (importer, target) in present, f"stale allow-list entry {target}"


# -- self-tests: each rule catches a synthetic violation -----------------------------


def _synthetic(modules: dict[str, str]) -> list[Import]:
    found: list[Import] = []
    for name, source in modules.items():
        is_package = name.endswith(".__init__")
        found += imports_in(name.removesuffix(".__init__"), source, is_package=is_package)
    return found


def test_collector_handles_every_import_form() -> None:
    found = _synthetic(
        {
            "chainkit.pkg.mod": (
                "import chainkit.a.b as ab\n"
                "from chainkit.c import d\n"
                "from . import sibling\n"
                "from ..other import thing\n"
                "from .sub.deep import *\n"
                "def f():\n"
                "    import chainkit.inner\n"
                "if TYPE_CHECKING:\n"
                "    from chainkit.typing_only import T\n"
                "importlib.import_module('chainkit.lazy')\n"
                "importlib.import_module('._rel', 'chainkit.backfill')\n"
                "importlib.import_module('.kw', package='chainkit.verify')\n"
                "__import__('chainkit.dunder')\n"
                "ab._hidden\n"
            ),
            "chainkit.pkg.__init__": "from ._private import x\n",
        }
    )
    assert {i.target for i in found} == {
        "chainkit.a.b",
        "chainkit.c.d",
        "chainkit.pkg.sibling",
        "chainkit.other.thing",
        "chainkit.pkg.sub.deep",
        "chainkit.inner",
        "chainkit.typing_only.T",
        "chainkit.lazy",
        "chainkit.backfill._rel",
        "chainkit.verify.kw",
        "chainkit.dunder",
        "chainkit.a.b._hidden",
        "chainkit.pkg._private.x",
    }


@pytest.mark.parametrize(
    "source",
    [
        "import chainkit.backfill\n",
        "from chainkit.backfill import Plan\n",
        "from chainkit import backfill\n",
        "from ..backfill._names import bundle_name\n",
        "def f():\n    from chainkit.backfill._predicate import PREDICATE_TYPE\n",
    ],
)
def test_rule_a_catches_verify_importing_backfill(source: str) -> None:
    found = _synthetic({"chainkit.verify._core": source})
    assert len(verify_imports_backfill(found)) == 1
    assert verify_imports_backfill(_synthetic({"chainkit.audit._run": source})) == []


@pytest.mark.parametrize(
    "source",
    [
        "import chainkit.backfill._render\n",
        "from chainkit.backfill._render import render_plan_table\n",
        "from chainkit.backfill import _render\n",
        "from ..backfill._apply import apply_plan\n",
        "def command():\n    from chainkit.audit._osvdb import ServedDatabase\n",
        "from chainkit.backfill._apply import _token_claims\n",
        "__import__('chainkit.backfill._apply')\n",
        "import importlib\nimportlib.import_module('._plan', 'chainkit.backfill')\n",
        "import chainkit.backfill as b\nb._apply.apply_plan\n",
        "from chainkit import backfill\nbackfill._render.render_table\n",
    ],
)
def test_rule_b_catches_the_cli_importing_private_modules(source: str) -> None:
    found = _synthetic({"chainkit._cli.backfill": source})
    assert cli_imports_private(found), source


@pytest.mark.parametrize(
    "source",
    [
        "from chainkit.backfill import plan_backfill\n",
        "from chainkit._internal.output import emit_json\n",
        "from chainkit._cli._options import repo_option\n",
        "from . import github_client\n",
        "from ._options import json_option\n",
        "from chainkit import __version__\n",
        "import click\n",
    ],
)
def test_rule_b_accepts_public_apis_and_the_cli_itself(source: str) -> None:
    assert cli_imports_private(_synthetic({"chainkit._cli.backfill": source})) == []


def test_rule_b_allow_list_is_exact() -> None:
    found = _synthetic(
        {"chainkit._cli.backfill": "from chainkit.backfill._apply import _token_claims, other\n"}
    )
    allowed = {"chainkit._cli.backfill": frozenset({"chainkit.backfill._apply._token_claims"})}
    assert [i.target for i in cli_imports_private(found, allowed)] == [
        "chainkit.backfill._apply.other"
    ]


@pytest.mark.parametrize(
    ("importer", "source", "caught"),
    [
        ("chainkit.signing._tokens", "from chainkit.sandbox import identity_token\n", True),
        ("chainkit.backfill._apply", "import chainkit.sandbox._seed\n", True),
        ("chainkit._cli.backfill", "def f():\n    from chainkit import sandbox\n", True),
        ("chainkit._cli.sandbox", "from chainkit.sandbox import up\n", False),
        ("chainkit.sandbox._github._server", "from .._seed import Seed\n", False),
        ("chainkit.sandbox.__init__", "from ._runtime import up\n", False),
    ],
)
def test_rule_c_catches_sandbox_imports_outside_the_sandbox(
    importer: str, source: str, caught: bool
) -> None:
    assert bool(sandbox_imported_outside(_synthetic({importer: source}))) is caught
