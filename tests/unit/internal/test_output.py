"""The terminal-safety helper, the log formatter, data output and tables of `_internal.output`."""

from __future__ import annotations

import io
import json
import logging
import unicodedata

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from chainkit._internal import output
from chainkit._internal.output import Styled, Table, emit_json, emit_text, printable

DANGEROUS = "\x00\x07\x08\x0d\x0a\x1b\x7f\x85\x9b\u2028\u2029\u202e\u2066"


@given(st.text())
@example("\x1b[31mred\x1b[0m")
@example("ok\r\nERROR: forged")
@example("\u202eexe.txt")
def test_printable_leaves_nothing_a_terminal_acts_on(text: str) -> None:
    shown = printable(text)
    assert not any(ch in DANGEROUS for ch in shown)
    assert not any(ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in shown)


@given(
    st.text(
        alphabet=st.characters(blacklist_categories=("Cc", "Zl", "Zp", "Cf")).filter(
            lambda ch: not 0xE0000 <= ord(ch) <= 0xE007F
        )
    )
)
def test_printable_keeps_ordinary_text(text: str) -> None:
    assert printable(text) == text


INVISIBLE = "\u200b\ufeff\u00ad\u2060\u200d\U000e0041\U000e007f\U000e0000\u061c\u200e"


@given(st.text())
@example("pay\u200bpal")
@example("\U000e0069\U000e0067\U000e006e\U000e006f\U000e0072\U000e0065")
def test_printable_shows_invisible_format_characters(text: str) -> None:
    shown = printable(text + INVISIBLE)
    assert not any(unicodedata.category(ch) == "Cf" for ch in shown)
    assert not any(0xE0000 <= ord(ch) <= 0xE007F for ch in shown)


def test_printable_shows_invisible_characters_unambiguously() -> None:
    assert printable("pay\u200bpal\ufeff") == "pay\\u200bpal\\ufeff"
    assert printable("a\u00adb\u2060") == "a\\xadb\\u2060"
    # astral tag characters get all their digits: \U000e0041, not \ue0041 (= \ue004 "1")
    assert printable("v1\U000e0041") == "v1\\U000e0041"


def test_printable_shows_what_was_there() -> None:
    assert printable("v1\x1b[2J\r\n\u202e") == "v1\\x1b[2J\\x0d\\x0a\\u202e"
    assert printable("a\nb\x1b", keep_newlines=True) == "a\nb\\x1b"


def test_log_records_are_printable_arguments_included(capsys: pytest.CaptureFixture[str]) -> None:
    output.configure_logging(verbose=False)
    logging.getLogger("chainkit.test").warning("asset %s", "x\x1b]0;title\x07\rINFO: fake")
    err = capsys.readouterr().err
    assert err == "WARNING: asset x\\x1b]0;title\\x07\\x0dINFO: fake\n"


def test_emit_json_escapes_what_json_leaves_raw() -> None:
    out = io.StringIO()
    emit_json({"name": "a\x9b31m\u2028\u202e\x1b"}, stream=out)
    text = out.getvalue()
    assert not any(ch in text for ch in "\x9b\u2028\u202e\x1b")
    assert json.loads(text) == {"name": "a\x9b31m\u2028\u202e\x1b"}


def test_emit_text_keeps_lines_and_shows_controls() -> None:
    out = io.StringIO()
    emit_text("one\ntwo\tthree\x1b[K", stream=out)
    assert out.getvalue() == "one\ntwo\tthree\\u001b[K\n"


@given(st.dictionaries(st.text(), st.text()))
@example({"description": "a\x85b\u2028c\u202ed\x9b"})
def test_emit_text_keeps_json_documents_valid_and_equal(data: dict[str, str]) -> None:
    """Audit's JSON, SARIF and CycloneDX reach stdout through emit_text."""
    out = io.StringIO()
    emit_text(json.dumps(data, indent=2, ensure_ascii=False), stream=out)
    text = out.getvalue()
    assert json.loads(text) == data
    assert not any(ch in text for ch in "\x85\x9b\u2028\u202e")


def test_plain_table_is_aligned_unwrapped_and_printable() -> None:
    long = "x" * 200
    table = Table.of("title", ("a", "b"), [(long, Styled("ok", "green")), ("\x1b[2J", "")])
    out = io.StringIO()
    output.print_table(table, stream=out)
    assert out.getvalue().splitlines() == [
        "title",
        "a" + " " * 201 + "b",
        long + "  ok",
        "\\x1b[2J",
    ]


def test_rich_table_cells_are_text_not_markup() -> None:
    from rich.console import Console

    out = io.StringIO()
    table = Table.of("t", ("a",), [("[link=https://evil.example]click[/link]\x1b[2J",)])
    Console(file=out, width=200, color_system=None).print(table)
    assert "[link=https://evil.example]click[/link]\\x1b[2J" in out.getvalue()
