"""JSON text that can always be written as UTF-8.

``json.dumps(ensure_ascii=False)`` keeps non-ASCII characters readable but also keeps a lone
surrogate (``\\udcff``: a file name that is not UTF-8, decoded with ``surrogateescape``, or a
``\\ud800`` escape in a tool's JSON) raw, and encoding that text as UTF-8 fails. Here such a
character becomes its ``\\uXXXX`` escape: the same string to any JSON reader, and UTF-8.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["dumps"]

_SURROGATE = re.compile("[\ud800-\udfff]")


def dumps(data: Any, *, indent: int | None = None) -> str:
    """``data`` as JSON text, non-ASCII kept, lone surrogates escaped."""
    text = json.dumps(data, indent=indent, ensure_ascii=False)
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
