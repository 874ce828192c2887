"""How GitHub renames uploaded asset files (a reconstruction, see docs/sandbox.md).

GitHub does not publish the rule; this follows GitHub CLI's client-side copy of it
(``sanitizeFileName`` in cli/cli ``pkg/cmd/release/upload/upload.go``):

1. transliterate non-ASCII letters to Latin (``façade`` -> ``facade``, ``æ`` -> ``ae``);
2. a leading ``.`` gets the prefix ``default`` (``.foo`` -> ``default.foo``);
3. every run of characters outside ``[A-Za-z0-9-_+@]`` becomes one ``.``;
4. repeated dots are squeezed, leading and trailing dots trimmed;
5. if the name changed and has no ``.`` left, it gets the prefix ``default.``.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["sanitize_asset_name"]

# Letters NFKD does not decompose; Rails/I18n-style transliterations.
_TRANSLIT = {
    "æ": "ae",
    "Æ": "AE",
    "ð": "d",
    "Ð": "D",
    "đ": "d",
    "Đ": "D",
    "ŋ": "ng",
    "Ŋ": "NG",
    "ø": "o",
    "Ø": "O",
    "œ": "oe",
    "Œ": "OE",
    "ß": "ss",
    "þ": "th",
    "Þ": "TH",
    "ł": "l",
    "Ł": "L",
    "\u0131": "i",  # dotless i
    "ħ": "h",
    "Ħ": "H",
}
_OUTSIDE = re.compile(r"[^A-Za-z0-9\-_+@]+")
_DOTS = re.compile(r"\.{2,}")


def _transliterate(name: str) -> str:
    out: list[str] = []
    for ch in name:
        if ch.isascii():
            out.append(ch)
            continue
        if ch in _TRANSLIT:
            out.append(_TRANSLIT[ch])
            continue
        decomposed = unicodedata.normalize("NFKD", ch)
        base = "".join(c for c in decomposed if not unicodedata.combining(c))
        # Keep letters that have no Latin form: step 3 turns them into dots.
        out.append(base if base.isascii() and base else ch)
    return "".join(out)


def sanitize_asset_name(name: str) -> str:
    """The name GitHub gives an asset uploaded as ``name``."""
    result = _transliterate(name)
    if result.startswith("."):
        result = "default" + result
    result = _OUTSIDE.sub(".", result)
    result = _DOTS.sub(".", result).strip(".")
    if result != name and "." not in result:
        result = "default." + result if result else "default"
    return result
