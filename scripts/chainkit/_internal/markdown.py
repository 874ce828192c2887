"""The one Markdown escaper: every table, summary and notes section goes through it.

Values that reach Markdown (tag and asset names, package names, identities, messages)
come from servers and files chainkit does not control. :func:`escape` makes such a
value inert text: it cannot end a table cell, open a link, start HTML, or break the
line it stands on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from urllib.parse import quote

__all__ = ["code", "escape", "link", "table"]

# Everything CommonMark/GFM gives a meaning to inline (emphasis, code, links, images,
# HTML, entities, strikethrough, math), plus the table separator.
_SPECIAL = frozenset("\\`*_{}[]()<>#|~&!$")
# At the start of a list item or cell these would open a block (heading, list, quote,
# thematic break, setext underline): "1. x", "- x", "+ x", "= x".
_BLOCK_START = re.compile(r"^(\d{1,9})([.)])(?=\s|$)|^([-+])(?=\s|$)|^([-=])(?=[-=\s]*$)")
_REPLACEMENT = "\ufffd"


def _printable(ch: str) -> bool:
    o = ord(ch)
    return not (o < 32 or 127 <= o < 160 or o in (0x2028, 0x2029))


def escape(text: object) -> str:
    """``text`` as inert inline Markdown, safe inside a table cell or a list item.

    Control characters (including CR, LF and TAB) become U+FFFD, so a value always
    stays on its line; every character Markdown or HTML could read as syntax is
    backslash-escaped.
    """
    out: list[str] = []
    for ch in str(text):
        if not _printable(ch):
            out.append(_REPLACEMENT)
        elif ch in _SPECIAL:
            out.append("\\" + ch)
        else:
            out.append(ch)
    escaped = "".join(out)
    m = _BLOCK_START.match(escaped)
    if m is not None:
        if m.group(1) is not None:
            escaped = m.group(1) + "\\" + escaped[len(m.group(1)) :]
        else:
            escaped = "\\" + escaped
    return escaped


def code(text: object) -> str:
    """``text`` as an inline code span (not for table cells: GFM splits cells on ``|``).

    The fence is one backtick longer than the longest run inside, so the value
    cannot close it; control characters become U+FFFD.
    """
    value = "".join(ch if _printable(ch) else _REPLACEMENT for ch in str(text))
    longest = run = 0
    for ch in value:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    fence = "`" * (longest + 1)
    pad = " " if value.startswith("`") or value.endswith("`") or not value.strip() else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A GFM table. Headers are chainkit's own text; every cell is escaped."""
    lines = [
        "| " + " | ".join(headers) + " |",
        "| " + " | ".join("---" for _ in headers) + " |",
    ]
    for row in rows:
        if len(row) != len(headers):
            raise ValueError(f"row has {len(row)} cells, table has {len(headers)} columns")
        lines.append("| " + " | ".join(escape(cell) for cell in row) + " |")
    return "\n".join(lines)


# Characters kept as they are in a link destination: RFC 3986 reserved and unreserved ones
# (and %); everything else, ``<``, ``>``, spaces and control characters included, is
# percent-encoded, so nothing can end the angle-bracketed destination.
_URI_SAFE = ":/?#[]@!$&'*+,;=%-._~"


def link(text: object, uri: str) -> str:
    """A Markdown link to an http(s) ``uri``; any other scheme (``javascript:``, ``data:``)
    gives the escaped text with the URI shown as escaped text. The destination is
    percent-encoded inside ``<...>``, so neither part can open HTML or another link."""
    if not uri.lower().startswith(("https://", "http://")):
        return f"{escape(text)} ({escape(uri)})"
    return f"[{escape(text)}](<{quote(uri, safe=_URI_SAFE)}>)"
