"""GitHub's asset renaming rule (BEHAVIOR.md section 3), with the documented examples."""

from __future__ import annotations

import pytest

from chainkit.sandbox._github import sanitize_asset_name


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("façade.exposé", "facade.expose"),
        ("ð-æ-ŋ.txt", "d-ae-ng.txt"),
        (".foo", "default.foo"),
        (".config", "default.config"),
        ("foo bar", "foo.bar"),
        ("app-(15-5)-x.apk", "app-.15-5.-x.apk"),
        ("a~b:c.txt", "a.b.c.txt"),
        ("erick%%%%%!!!zhao.txt", "erick.zhao.txt"),
        ("Hello, दुनिया", "default.Hello"),
        ("🙂.pdf", "default.pdf"),
        ("Symbols.Mixed 64-bit.7z", "Symbols.Mixed.64-bit.7z"),
        ("trailing.", "default.trailing"),  # rule 5: changed, no dot left
        ("dots..in...middle.txt", "dots.in.middle.txt"),
        ("x+y@z_1.tar.gz", "x+y@z_1.tar.gz"),
        ("CaseKept.WHL", "CaseKept.WHL"),
        ("README", "README"),
        ("widgets-1.2.0-py3-none-any.whl", "widgets-1.2.0-py3-none-any.whl"),
    ],
)
def test_examples(given: str, expected: str) -> None:
    assert sanitize_asset_name(given) == expected


def test_idempotent() -> None:
    for name in ["a b", ".x", "façade.exposé", "🙂.pdf", "app-(15-5)-x.apk"]:
        once = sanitize_asset_name(name)
        assert sanitize_asset_name(once) == once
