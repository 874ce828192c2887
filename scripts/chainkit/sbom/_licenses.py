"""Licence policy: SPDX expressions parsed with ``license-expression``, evaluated against an
allow list.

An expression is allowed when it can be satisfied with allowed licences: ``A OR B`` when
either side is allowed, ``A AND B`` when both are, ``A WITH E`` when ``A WITH E`` or ``A`` is
on the list (an exception only adds permissions). Several licence entries on one component
must all be allowed. A licence that is not an SPDX identifier or expression (a free-text
name, a typo, ``LicenseRef-...``) is *unknown*: never allowed by the list, and reported with
``--deny-unknown-licenses``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

__all__ = ["LicenseVerdict", "evaluate", "parse_allow_list", "valid_expression"]


@functools.cache
def _licensing() -> Any:
    from license_expression import get_spdx_licensing

    return get_spdx_licensing()


@dataclass(frozen=True)
class LicenseVerdict:
    allowed: bool
    unknown: tuple[str, ...]
    """Parts that are not SPDX: the whole text when it does not parse, else unknown keys."""
    denied: tuple[str, ...] = ()
    """SPDX entries the allow list does not satisfy, whatever else the component lists (an
    extra free-text entry never hides a denied SPDX one)."""


def _parse(text: str) -> Any | None:
    """The parsed expression, or ``None`` when it is not SPDX (unknown keys, bad syntax)."""
    from license_expression import ExpressionError

    licensing = _licensing()
    try:
        parsed = licensing.parse(text, validate=True, strict=True)
    except (ExpressionError, ValueError, TypeError, RecursionError):
        return None
    return parsed


_LICENSE_REF = re.compile(r"(?:DocumentRef-[A-Za-z0-9.-]+:)?LicenseRef-[A-Za-z0-9.-]+", re.ASCII)
_UNKNOWN_KEYS = "Unknown license key(s)"


def valid_expression(text: str) -> bool:
    """Whether ``text`` is a valid SPDX licence expression (as PEP 639 ``License-Expression``
    requires): correct syntax, and every key an SPDX id or exception or a ``LicenseRef-``."""
    try:
        info = _licensing().validate(text, strict=True)
    except (ValueError, TypeError, AttributeError, RecursionError):
        # the library fails with AttributeError on some syntax errors ("MIT OR")
        return False
    if not info.errors:
        return True
    return all(e.startswith(_UNKNOWN_KEYS) for e in info.errors) and all(
        _LICENSE_REF.fullmatch(str(symbol)) for symbol in info.invalid_symbols
    )


def _symbols_text(node: Any) -> str:
    return str(node.render("{symbol.key}"))


def parse_allow_list(entries: tuple[str, ...]) -> frozenset[str]:
    """Allowed SPDX ids and ``id WITH exception`` pairs, upper-cased; a ``ValueError``
    names an entry that is not one."""
    allowed: set[str] = set()
    for entry in entries:
        text = entry.strip()
        if not text:
            continue
        parsed = _parse(text)
        if parsed is None or not _is_symbol(parsed):
            raise ValueError(text)
        allowed.add(_symbols_text(parsed).upper())
    return frozenset(allowed)


def _is_symbol(node: Any) -> bool:
    from license_expression import LicenseSymbol, LicenseWithExceptionSymbol

    return isinstance(node, LicenseSymbol | LicenseWithExceptionSymbol)


def _satisfied(node: Any, allowed: frozenset[str]) -> bool:
    from license_expression import LicenseWithExceptionSymbol

    if isinstance(node, LicenseWithExceptionSymbol):
        whole = _symbols_text(node).upper()
        return whole in allowed or str(node.license_symbol.key).upper() in allowed
    if _is_symbol(node):
        return str(node.key).upper() in allowed
    operator = type(node).__name__  # boolean.py's AND / OR
    results = [_satisfied(arg, allowed) for arg in node.args]
    return all(results) if operator == "AND" else any(results)


def evaluate(licenses: tuple[str, ...], allowed: frozenset[str] | None) -> LicenseVerdict:
    """Whether ``licenses`` (one component's entries) pass ``allowed`` (``None``: no list)."""
    unknown: list[str] = []
    denied: list[str] = []
    for text in licenses:
        parsed = _parse(text)
        if parsed is None:
            unknown.append(text)
        elif allowed is not None and not _satisfied(parsed, allowed):
            denied.append(text)
    if not licenses:
        return LicenseVerdict(False, ("(none)",))
    return LicenseVerdict(not unknown and not denied, tuple(unknown), tuple(denied))
